using System.Security.Cryptography;
using Tribuo.Gateway.Keys;
using Xunit;

namespace Tribuo.Gateway.Tests.Keys;

/// <summary>
/// The key cache when more distinct keys are in use than it holds (many requests fill it at once), and what one
/// cached entry keeps of the store's record (compacted: times as UTC ticks, shared scope lists).
/// </summary>
public sealed class KeyCacheTests
{
    [Fact]
    public async Task Filling_a_full_cache_from_many_threads_never_throws_and_stays_bounded()
    {
        var cache = new KeyCache(new KeyOptions { CacheSize = 200 });
        var start = new ManualResetEventSlim();
        var writers = Enumerable.Range(0, Math.Max(4, Environment.ProcessorCount * 2)).Select(writer => Task.Run(() =>
        {
            start.Wait();
            for (var i = 0; i < 20_000; i++)
            {
                var hash = SHA256.HashData(BitConverter.GetBytes(writer * 1_000_000L + i));
                cache.Set(CachedKey.For(record: null, hash, validatedAt: i), cache.Version);
            }
        })).ToArray();
        start.Set();
        await Task.WhenAll(writers); // before the fix: NullReferenceException from a sort over a half-copied snapshot

        var count = cache.Entries.Count();
        Assert.InRange(count, 1, 200 + writers.Length);
    }

    [Fact]
    public void A_full_cache_keeps_the_most_recently_validated_half()
    {
        var cache = new KeyCache(new KeyOptions { CacheSize = 10 });
        var hashes = Enumerable.Range(0, 11).Select(i => SHA256.HashData(BitConverter.GetBytes(i))).ToArray();
        for (var i = 0; i < 10; i++)
        {
            cache.Set(CachedKey.For(record: null, hashes[i], validatedAt: 100 + i), cache.Version);
        }

        cache.Set(CachedKey.For(record: null, hashes[10], validatedAt: 200), cache.Version);

        Assert.False(cache.TryGet(hashes[0], out _));
        Assert.False(cache.TryGet(hashes[4], out _));
        Assert.True(cache.TryGet(hashes[5], out _));
        Assert.True(cache.TryGet(hashes[9], out _));
        Assert.True(cache.TryGet(hashes[10], out _));
    }

    [Fact]
    public void A_cached_key_reads_back_what_the_store_said()
    {
        var expires = new DateTimeOffset(2031, 1, 2, 0, 30, 5, TimeSpan.FromHours(2)).AddTicks(1234567);
        var record = new KeyRecord
        {
            Id = "k-cached", Name = "Cached", Sha256 = new string('a', 64), Scopes = ["read", "write"], Expires = expires,
            Origins = ["https://docs.tribuo.cloud"], UserId = "u-1",
        };
        var hash = SHA256.HashData("secret"u8);

        var known = CachedKey.For(record, hash, validatedAt: 7).Record!;
        Assert.Equal(("k-cached", "u-1", 7L), (known.Id, known.UserId, known.ValidatedAt));
        Assert.Equal(expires, known.Expires);                 // the same instant, whatever offset the store used
        Assert.Equal(expires.UtcTicks, known.Expires!.Value.UtcTicks);
        Assert.Null(known.RevokedAt);
        Assert.Equal(["read", "write"], known.Scopes);
        Assert.Equal("read write", known.ScopesHeader);
        Assert.Equal(["https://docs.tribuo.cloud"], known.Origins);
        Assert.True(known.HoldsAnyOf(["admin", "write"]));
        Assert.False(known.HoldsAnyOf(["admin"]));
        Assert.Equal(hash, known.Hash.ToArray());
        Assert.Equal(KeyStatus.Active, known.StatusAt(expires.AddTicks(-1)));
        Assert.Equal(KeyStatus.Expired, known.StatusAt(expires));

        var revoked = CachedKey.For(record with { Expires = null, RevokedAt = expires, Disabled = true }, hash, 8).Record!;
        Assert.Equal((null, expires, true), (revoked.Expires, revoked.RevokedAt, revoked.Disabled));
        Assert.Equal(KeyStatus.Revoked, revoked.StatusAt(DateTimeOffset.UnixEpoch));

        var unknown = CachedKey.For(record: null, hash, validatedAt: 9);
        Assert.Null(unknown.Record);
        Assert.False(unknown.HoldsAnyOf(["read"]));
        Assert.Equal("", unknown.ScopesHeader);
    }
}
