using System.Security.Cryptography;
using Tribuo.Gateway.Keys;
using Xunit;

namespace Tribuo.Gateway.Tests.Keys;

/// <summary>The key cache when more distinct keys are in use than it holds: many requests fill it at once.</summary>
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
                cache.Set(new CachedKey(record: null, hash, validatedAt: i), cache.Version);
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
            cache.Set(new CachedKey(record: null, hashes[i], validatedAt: 100 + i), cache.Version);
        }

        cache.Set(new CachedKey(record: null, hashes[10], validatedAt: 200), cache.Version);

        Assert.False(cache.TryGet(hashes[0], out _));
        Assert.False(cache.TryGet(hashes[4], out _));
        Assert.True(cache.TryGet(hashes[5], out _));
        Assert.True(cache.TryGet(hashes[9], out _));
        Assert.True(cache.TryGet(hashes[10], out _));
    }
}
