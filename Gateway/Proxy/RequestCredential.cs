namespace Tribuo.Gateway.Proxy;

/// <summary>What the caller presented as its credential (DESIGN §7).</summary>
internal enum CredentialKind
{
    None,
    /// <summary><c>Authorization: KEY ...</c>.</summary>
    Key,
    /// <summary><c>Authorization: Bearer ...</c>: a gateway token.</summary>
    Bearer,
    /// <summary>An <c>Authorization</c> header of another scheme.</summary>
    OtherScheme,
    /// <summary>The <c>tribuo_cloud_token</c> cookie, and no <c>Authorization</c> header.</summary>
    SessionCookie,
    /// <summary>Two or more <c>tribuo_cloud_token</c> cookies: refused, never resolved by order (DESIGN §6).</summary>
    AmbiguousCookie,
}

/// <summary>
/// The one credential of a request, taken out of it by <see cref="CredentialStep"/> before anything is
/// forwarded: the <c>Authorization</c> header when there is one, else the session cookie.
/// </summary>
internal sealed class RequestCredential
{
    public static readonly RequestCredential None = new() { Kind = CredentialKind.None };

    public required CredentialKind Kind { get; init; }

    /// <summary>The <c>Authorization</c> header as sent, or "": what the KEY scheme reads.</summary>
    public string Authorization { get; init; } = "";

    /// <summary>The token of a <see cref="CredentialKind.Bearer"/> or <see cref="CredentialKind.SessionCookie"/> credential.</summary>
    public string Token { get; init; } = "";

    /// <summary>A <c>?token=</c> the browser came back from the login page with, or "".</summary>
    public string HandBack { get; init; } = "";

    public bool IsUserToken => Kind is CredentialKind.Bearer or CredentialKind.SessionCookie;
}
