using Microsoft.Extensions.DependencyInjection;
using Tribuo.Gateway.Proxy;
using Tribuo.Gateway.Tokens;
using Tribuo.Gateway.Tests.Infrastructure;
using Xunit;

namespace Tribuo.Gateway.Tests.Proxy;

/// <summary>
/// Issue 13, item 4: more callers in use than the assertion cache holds (a rotation over 200,000 keys). Emptying
/// the cache when full made every request sign and turned the whole cache over again and again.
/// </summary>
public sealed class AssertionCacheTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_full_assertion_cache_keeps_what_it_holds_and_does_not_keep_the_overflow()
    {
        await using var gateway = GatewayApp.Start("""
            { "Routes": { "api": { "ClusterId": "tribuo", "Match": { "Path": "/api/{**rest}" }, "Metadata": { "Auth": "key", "Scopes": "api" } } },
              "Clusters": { "tribuo": { "Destinations": { "a": { "Address": "http://127.0.0.1:9/" } } } } }
            """);
        var signingKeys = gateway.Services.GetRequiredService<SigningKeys>();
        var loaded = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!signingKeys.IsLoaded && DateTime.UtcNow < loaded)
        {
            await Task.Delay(50, Ct);
        }

        var cache = gateway.Services.GetRequiredService<AssertionCache>();
        static GatewayCaller Key(string id) => new() { KeyId = id, KeyScopes = "api" };
        var first = cache.For(Key("first"), "tribuo");
        for (var i = 0; i < AssertionCache.MaxEntries + 100; i++)
        {
            cache.For(Key($"k{i}"), "tribuo");
        }

        Assert.InRange(cache.Count, 1, AssertionCache.MaxEntries);
        Assert.Equal(first, cache.For(Key("first"), "tribuo")); // still held: same jti, no new signature
        var overflow = cache.For(Key("overflow"), "tribuo");
        Assert.NotEqual(overflow, cache.For(Key("overflow"), "tribuo")); // not admitted: signed again, each a valid assertion
        Assert.Equal(AssertionCache.MaxEntries, cache.Count);
    }
}
