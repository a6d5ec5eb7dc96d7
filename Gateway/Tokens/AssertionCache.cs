using System.Collections.Concurrent;
using Tribuo.Gateway.Proxy;

namespace Tribuo.Gateway.Tokens;

/// <summary>
/// <c>X-Tribuo-Assertion</c> values: a JWT the gateway signs stating who the caller is, with <c>aud</c> = the
/// upstream's cluster id, so an upstream can check the <c>X-Tribuo-*</c> headers came from the gateway.
/// Signing costs more than proxying, so one assertion serves the same caller and cluster for half its life.
/// Bounded without churn: a full cache admits nothing new until expired assertions are swept out (at most once
/// a second). Emptying it when full, as before, made a rotation over more callers than it holds sign every
/// request and turn 50,000 kilobyte-sized strings over into the oldest generation each time, the largest
/// part of the gateway's memory under 200,000 keys.
/// </summary>
internal sealed class AssertionCache(TokenService tokens, TimeProvider time)
{
    /// <summary>About 1.1 KB each: 13 MB at most; a rotation over 10,000 keys is held whole.</summary>
    public const int MaxEntries = 12_000;

    private static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<(string Subject, string Cluster), (string Jwt, DateTimeOffset RenewAfter)> _cache = new();
    private long _nextSweep;
    private int _sweeping;

    public int Count => _cache.Count;

    public string For(GatewayCaller caller, string clusterId)
    {
        var key = (caller.AssertionSubject, clusterId);
        var now = time.GetUtcNow();
        if (_cache.TryGetValue(key, out var cached) && cached.RenewAfter > now)
        {
            return cached.Jwt;
        }

        var jwt = tokens.SignAssertion(Claims(caller), clusterId, out var expires);
        if (_cache.Count >= MaxEntries && !_cache.ContainsKey(key))
        {
            SweepExpired(now);
            return jwt;
        }

        _cache[key] = (jwt, now + (expires - now) / 2);
        return jwt;
    }

    /// <summary>Drops the assertions due for renewal; one caller at a time, at most once per <see cref="SweepInterval"/>.</summary>
    private void SweepExpired(DateTimeOffset now)
    {
        if (now.UtcTicks < Volatile.Read(ref _nextSweep) || Interlocked.Exchange(ref _sweeping, 1) == 1)
        {
            return;
        }

        try
        {
            Volatile.Write(ref _nextSweep, (now + SweepInterval).UtcTicks);
            foreach (var entry in _cache)
            {
                if (entry.Value.RenewAfter <= now)
                {
                    _cache.TryRemove(entry);
                }
            }
        }
        finally
        {
            Volatile.Write(ref _sweeping, 0);
        }
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
