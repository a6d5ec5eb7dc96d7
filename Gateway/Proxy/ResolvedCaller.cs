using Tribuo.Gateway.Keys;

namespace Tribuo.Gateway.Proxy;

/// <summary>Who the credential belongs to, before the route's policy is consulted.</summary>
internal sealed class ResolvedCaller
{
    /// <summary>The active key presented, or null for a user token.</summary>
    public CachedKey? Key { get; init; }

    /// <summary>The user: the token's, or the owner of a key tied to a user.</summary>
    public CallerUser? User { get; init; }

    /// <summary>The user came with the session cookie (not an <c>Authorization</c> header).</summary>
    public bool ByCookie { get; init; }
}
