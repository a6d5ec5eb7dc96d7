using System.Security.Cryptography;

namespace Tribuo.Gateway.Keys;

internal enum KeyStatus
{
    Active,
    /// <summary>No <c>Authorization</c> header, or <c>KEY</c> with nothing after it.</summary>
    Missing,
    /// <summary>An <c>Authorization</c> header of another scheme (Bearer, Basic, ...).</summary>
    OtherScheme,
    Unknown,
    Revoked,
    Disabled,
    Expired,
    /// <summary>The store could not be asked and nothing recent enough is cached.</summary>
    Unavailable,
}

internal readonly record struct KeyAuthResult(KeyStatus Status, CachedKey? Key);

/// <summary>
/// Turns a secret into a key, the way an authentication handler turns a header into a principal, but
/// without the per-request principal/ticket allocations (see ../shared/PERFORMANCE.md §4): hash on the
/// stack, look up the cache, and only go to the store on a miss. A known key due for revalidation is answered
/// from the cache while it is re-read in the background, one read per key at a time, so a hung store never
/// holds a request for a cached key. During an outage (<see cref="KeyStoreCircuit"/>) keys validated before
/// it keep working for <see cref="KeyOptions.StaleWhileUnreachable"/> counted from its start; everything
/// else is <see cref="KeyStatus.Unavailable"/>, never a pass.
/// </summary>
internal sealed class KeyAuthenticator(KeyCache cache, IKeyStore store, KeyOptions options, KeyStoreCircuit circuit, Storage.IChangeFeed feed, TimeProvider time, Operations.GatewayMetrics metrics)
{
    /// <summary>Keys being revalidated in the background: one store read at a time per key.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<UInt128, bool> _revalidating = new();

    /// <summary>Authenticates an <c>Authorization</c> header value (<c>KEY &lt;secret&gt;</c>).</summary>
    public ValueTask<KeyAuthResult> AuthenticateHeaderAsync(string authorization, ConnectionKeyHash? connection = null)
    {
        if (authorization.Length == 0)
        {
            return new(new KeyAuthResult(KeyStatus.Missing, null));
        }

        if (!KeySecrets.TryReadKey(authorization, out var secret))
        {
            return new(new KeyAuthResult(KeyStatus.OtherScheme, null));
        }

        if (secret.IsEmpty)
        {
            return new(new KeyAuthResult(KeyStatus.Missing, null));
        }

        Span<byte> hash = stackalloc byte[32];
        if (connection is null)
        {
            KeySecrets.Hash(secret, hash);
        }
        else
        {
            connection.Hash(authorization, secret, hash);
        }

        return AuthenticateHashAsync(hash);
    }

    /// <summary>Checks a key by its SHA-256, e.g. again for a request that is still open.</summary>
    public ValueTask<KeyAuthResult> AuthenticateHashAsync(ReadOnlySpan<byte> hash)
    {
        if (cache.TryGet(hash, out var cached))
        {
            if (IsFresh(cached))
            {
                metrics.KeyCache(hit: true);
                return new(Evaluate(cached));
            }

            // A known key due for revalidation never waits on the store: it is answered from the cache while one
            // background read per key refreshes it, as long as the store answers or the outage is young.
            if (cached.Record is not null && (circuit.InOutage || time.GetElapsedTime(cached.ValidatedAt) < options.RevalidateAfter + options.StaleWhileUnreachable))
            {
                metrics.KeyCache(hit: true);
                RevalidateInBackground(cached);
                return new(UsableDuringOutage() ? Evaluate(cached) : new KeyAuthResult(KeyStatus.Unavailable, null));
            }
        }

        metrics.KeyCache(hit: false);
        if (!circuit.MayAsk())
        {
            return new(new KeyAuthResult(KeyStatus.Unavailable, null));
        }

        return RevalidateAsync(hash.ToArray(), cached);
    }

    private bool IsFresh(CachedKey entry)
    {
        var age = time.GetElapsedTime(entry.ValidatedAt);
        if (entry.Record is null)
        {
            return age < options.UnknownKeyTtl;
        }

        // Past RevalidateAfter only while the feed proves it delivers: a revocation would have evicted the entry.
        // A reconnect clears the cache, so every entry was validated while the current subscription stood.
        return age < options.RevalidateAfter
            || (age < options.RevalidateWhileSubscribed && feed.IsLive(Storage.ChangeTopics.Keys));
    }

    private bool UsableDuringOutage() => !circuit.InOutage || circuit.OutageElapsed < options.StaleWhileUnreachable;

    private void RevalidateInBackground(CachedKey cached)
    {
        var address = KeyCache.Address(cached.Hash);
        if (_revalidating.ContainsKey(address) || !_revalidating.TryAdd(address, true))
        {
            return;
        }

        // Only then the circuit: while it is open, MayAsk hands out the one probe per second, which only a store
        // answer gives back. Taken by a request that then found the key already being revalidated, it was never
        // given back, and the store was never asked again.
        if (!circuit.MayAsk())
        {
            _revalidating.TryRemove(address, out _);
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await RevalidateAsync(cached.Hash.ToArray(), cached);
            }
            finally
            {
                _revalidating.TryRemove(address, out _);
            }
        });
    }

    private async ValueTask<KeyAuthResult> RevalidateAsync(byte[] hash, CachedKey? stale)
    {
        var version = cache.Version;
        KeyRecord? record;
        try
        {
            record = await store.FindByHashAsync(Convert.ToHexStringLower(hash)).WaitAsync(options.StoreTimeout, time);
            circuit.Succeeded();
        }
        catch (Exception ex)
        {
            circuit.Failed(ex.GetType().Name);
            return stale is { Record: not null } && UsableDuringOutage() ? Evaluate(stale) : new KeyAuthResult(KeyStatus.Unavailable, null);
        }

        // The store answered by hash; confirm in constant time anyway, so no code path compares secrets naively.
        if (record is not null && !CryptographicOperations.FixedTimeEquals(Convert.FromHexString(record.Sha256), hash))
        {
            record = null;
        }

        var entry = CachedKey.For(record, hash, time.GetTimestamp());
        cache.Set(entry, version);
        return Evaluate(entry);
    }

    private KeyAuthResult Evaluate(CachedKey entry)
    {
        var now = time.GetUtcNow();
        var status = entry.Record?.StatusAt(now) ?? KeyStatus.Unknown;
        if (status == KeyStatus.Active)
        {
            entry.LastUsedUnixMs = now.ToUnixTimeMilliseconds();
        }

        return new KeyAuthResult(status, entry);
    }
}
