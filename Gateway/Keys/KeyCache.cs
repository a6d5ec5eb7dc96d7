using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Tribuo.Gateway.Keys;

/// <summary>
/// What one instance knows about a hash: the key (or that there is none), when it was read from the store, and
/// what the hot path needs precomputed (scopes, the identity header values). A known key is a
/// <see cref="CachedKeyRecord"/>, this same object with the record's fields: one object per cached key, not two.
/// </summary>
internal class CachedKey
{
    protected CachedKey(ReadOnlySpan<byte> hash, long validatedAt, ScopeSets.Set scopes)
    {
        hash.CopyTo(_hash);
        ValidatedAt = validatedAt;
        _scopes = scopes;
    }

    /// <summary>What the store said about <paramref name="hash"/>: a record, or null when it has no such key.</summary>
    public static CachedKey For(KeyRecord? record, ReadOnlySpan<byte> hash, long validatedAt) =>
        record is null ? new CachedKey(hash, validatedAt, ScopeSets.None) : new CachedKeyRecord(record, hash, validatedAt);

    private readonly ScopeSets.Set _scopes;
    private Sha256Bytes _hash; // in the object, not an array of its own: 32 bytes less per cached key

    /// <summary>Null: the store has no key with this hash.</summary>
    public CachedKeyRecord? Record => this as CachedKeyRecord;
    public ReadOnlySpan<byte> Hash => _hash;
    /// <summary><see cref="TimeProvider.GetTimestamp"/> of the store read this entry came from.</summary>
    public long ValidatedAt { get; }
    public bool HasAllScopes => _scopes.HasAll;
    public string ScopesHeader => _scopes.Header;
    protected string[] ScopesList => _scopes.List;
    /// <summary>Unix milliseconds of the last request that used this key, or 0; flushed in batches.</summary>
    public long LastUsedUnixMs;

    public bool HoldsAnyOf(IReadOnlyList<string> scopes)
    {
        if (HasAllScopes)
        {
            return true;
        }

        var held = _scopes.List;
        for (var i = 0; i < scopes.Count; i++)
        {
            for (var j = 0; j < held.Length; j++)
            {
                if (string.Equals(scopes[i], held[j], StringComparison.Ordinal))
                {
                    return true;
                }
            }
        }

        return false;
    }
}

[InlineArray(32)]
internal struct Sha256Bytes
{
    private byte _first;
}

/// <summary>
/// A cached key the store knows, with what requests read of it. A cache of 200,000 keys is most of the process's
/// memory, so this is not the whole <see cref="KeyRecord"/>: no name, hash text or creation and last-use times
/// (the store has them), a scope list shared with every key of the same scopes, and times as UTC ticks
/// (8 bytes each where a <c>DateTimeOffset?</c> takes 24).
/// </summary>
internal sealed class CachedKeyRecord : CachedKey
{
    private const long None = 0;
    private readonly long _expiresUtcTicks;
    private readonly long _revokedAtUtcTicks;

    public CachedKeyRecord(KeyRecord record, ReadOnlySpan<byte> hash, long validatedAt)
        : base(hash, validatedAt, ScopeSets.Share(record.Scopes))
    {
        Id = record.Id;
        _expiresUtcTicks = record.Expires?.UtcTicks ?? None;
        _revokedAtUtcTicks = record.RevokedAt?.UtcTicks ?? None;
        Disabled = record.Disabled;
        Origins = record.Origins;
        UserId = record.UserId;
        RateLimits = record.RateLimits;
    }

    public string Id { get; }
    public IReadOnlyList<string> Scopes => ScopesList;
    public DateTimeOffset? Expires => FromTicks(_expiresUtcTicks);
    public bool Disabled { get; }
    public DateTimeOffset? RevokedAt => FromTicks(_revokedAtUtcTicks);
    public IReadOnlyList<string> Origins { get; }
    public string? UserId { get; }
    public IReadOnlyList<RateLimits.RateLimit> RateLimits { get; }

    public KeyStatus StatusAt(DateTimeOffset now) => KeyRecord.StatusOf(RevokedAt, Disabled, Expires, now);

    private static DateTimeOffset? FromTicks(long utcTicks) => utcTicks == None ? null : new DateTimeOffset(utcTicks, TimeSpan.Zero);
}

/// <summary>
/// Scope lists as cached keys hold them: one shared copy per distinct list (most keys share a few), with the
/// values the hot path reads precomputed. Bounded: past <see cref="MostShared"/> distinct lists a key keeps its own.
/// </summary>
internal static class ScopeSets
{
    public sealed record Set(string[] List, string Header, bool HasAll);

    /// <summary>What an unknown key holds.</summary>
    public static readonly Set None = new([], "", false);

    private const int MostShared = 10_000;
    private static readonly ConcurrentDictionary<string, Set> Shared = new(StringComparer.Ordinal);

    public static Set Share(IReadOnlyList<string> scopes)
    {
        var header = string.Join(' ', scopes);
        if (Shared.TryGetValue(header, out var set))
        {
            return set;
        }

        set = new Set([.. scopes], header, scopes.Contains("*"));
        return Shared.Count < MostShared ? Shared.GetOrAdd(header, set) : set;
    }
}

/// <summary>
/// The in-process key cache, addressed by the first 128 bits of the SHA-256 (a struct key: no hex string
/// per request), confirmed on the full hash. Bounded. Every change an instance hears of evicts, and bumps a
/// version so that a store read which raced with the change is not cached.
/// </summary>
internal sealed class KeyCache(KeyOptions options)
{
    private readonly ConcurrentDictionary<UInt128, CachedKey> _entries = new();
    private long _version;
    private int _trimming;

    public long Version => Interlocked.Read(ref _version);

    public static UInt128 Address(ReadOnlySpan<byte> hash) => MemoryMarshal.Read<UInt128>(hash);

    public bool TryGet(ReadOnlySpan<byte> hash, out CachedKey entry) =>
        _entries.TryGetValue(Address(hash), out entry!) && hash.SequenceEqual(entry.Hash);

    /// <summary>Caches <paramref name="entry"/> unless something changed since <paramref name="readVersion"/>.</summary>
    public void Set(CachedKey entry, long readVersion)
    {
        if (readVersion != Version)
        {
            return;
        }

        if (_entries.Count >= options.CacheSize)
        {
            Trim();
        }

        var address = Address(entry.Hash);
        _entries[address] = entry;

        // An eviction may have run between the check above and the write: it bumped the version first, so
        // seeing the same version now means the entry was written before it removed anything.
        if (readVersion != Version)
        {
            _entries.TryRemove(KeyValuePair.Create(address, entry));
        }
    }

    public void Evict(string sha256Hex)
    {
        Interlocked.Increment(ref _version);
        if (sha256Hex.Length == 64)
        {
            _entries.TryRemove(Address(Convert.FromHexString(sha256Hex)), out _);
        }
    }

    public void Clear()
    {
        Interlocked.Increment(ref _version);
        _entries.Clear();
    }

    public IEnumerable<CachedKey> Entries => _entries.Values;

    /// <summary>
    /// Drops the half validated longest ago. One request trims at a time (the others go on: the cache may hold a
    /// few entries more meanwhile), from a consistent copy: sorting the live dictionary while other requests
    /// write to it read half-copied entries (a <see cref="NullReferenceException"/> answered as a 500).
    /// An entry written again since the copy is kept.
    /// </summary>
    private void Trim()
    {
        if (Interlocked.Exchange(ref _trimming, 1) == 1)
        {
            return;
        }

        try
        {
            var entries = _entries.ToArray();
            var validatedAt = new long[entries.Length];
            for (var i = 0; i < entries.Length; i++)
            {
                validatedAt[i] = entries[i].Value.ValidatedAt;
            }

            Array.Sort(validatedAt, entries);
            for (var i = 0; i < entries.Length / 2; i++)
            {
                _entries.TryRemove(entries[i]);
            }
        }
        finally
        {
            Volatile.Write(ref _trimming, 0);
        }
    }
}
