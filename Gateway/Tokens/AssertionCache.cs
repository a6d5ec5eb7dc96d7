using System.Collections.Concurrent;
using Tribuo.Gateway.Proxy;

namespace Tribuo.Gateway.Tokens;

/// <summary>
/// <c>X-Tribuo-Assertion</c> values: a JWT the gateway signs stating who the caller is, with <c>aud</c> = the
/// upstream's cluster id, so an upstream can check the <c>X-Tribuo-*</c> headers came from the gateway.
/// Signing costs more than proxying, so one assertion serves the same caller and cluster for half its life.
/// </summary>
internal sealed class AssertionCache(TokenService tokens, TimeProvider time)
{
    private const int MaxEntries = 50_000;

    private readonly ConcurrentDictionary<(string Subject, string Cluster), (string Jwt, DateTimeOffset RenewAfter)> _cache = new();

    public string For(GatewayCaller caller, string clusterId)
    {
        var key = (caller.AssertionSubject, clusterId);
        var now = time.GetUtcNow();
        if (_cache.TryGetValue(key, out var cached) && cached.RenewAfter > now)
        {
            return cached.Jwt;
        }

        var jwt = tokens.SignAssertion(Claims(caller), clusterId, out var expires);
        if (_cache.Count >= MaxEntries)
        {
            _cache.Clear();
        }

        _cache[key] = (jwt, now + (expires - now) / 2);
        return jwt;
    }

    private static Dictionary<string, object> Claims(GatewayCaller caller)
    {
        var claims = new Dictionary<string, object>();
        if (caller.User is { } user)
        {
            claims["sub"] = user.Id;
            claims["email"] = user.Email;
            claims["name"] = user.Name;
            claims["role"] = user.Role;
            claims["company"] = user.Company ?? "";
            if (user.OrganizationSiret is not null)
            {
                claims["organization_siret"] = user.OrganizationSiret;
            }
        }
        else
        {
            claims["sub"] = "key:" + caller.KeyId;
        }

        if (caller.KeyId is not null)
        {
            claims["key_id"] = caller.KeyId;
            claims["key_scopes"] = caller.KeyScopes ?? "";
        }

        return claims;
    }
}
