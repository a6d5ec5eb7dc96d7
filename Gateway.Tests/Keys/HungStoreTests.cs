using System.Diagnostics;
using System.Net;
using Tribuo.Gateway.Tests.Infrastructure;
using Xunit;
using static Tribuo.Gateway.Tests.Keys.KeysTestBed;

namespace Tribuo.Gateway.Tests.Keys;

/// <summary>
/// Issue 9 item 13: a Redis that stops answering (paused with SIGSTOP: connections stay open, nothing comes
/// back) must not hold requests for cached keys; keys validated before the outage work for
/// StaleWhileUnreachable counted from its start; the outage is one warning; service is whole again soon after
/// Redis answers.
/// </summary>
public sealed class HungStoreTests(RedisFixture redis) : IClassFixture<RedisFixture>, IAsyncLifetime
{
    private KeysTestBed _bed = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _bed = await KeysTestBed.StartAsync(redis.RequireServer());

    public ValueTask DisposeAsync() => _bed.DisposeAsync();

    private static async Task<HttpStatusCode> GetAsync(HttpClient client, string secret)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/docs/x");
        request.Headers.TryAddWithoutValidation("Authorization", $"KEY {secret}");
        using var response = await client.SendAsync(request, Ct);
        return response.StatusCode;
    }

    [Fact]
    public async Task Cached_keys_never_wait_on_a_hung_store_and_work_for_the_stale_window_counted_from_the_outage()
    {
        var server = redis.RequireServer();
        var gateway = _bed.StartGateway(new Dictionary<string, string?>
        {
            ["Gateway:Keys:RevalidateAfter"] = "00:00:02",
            ["Gateway:Keys:StaleWhileUnreachable"] = "00:00:05",
        });
        await _bed.SeedKeysAsync(gateway);
        using var client = gateway.NewClient();
        client.Timeout = TimeSpan.FromSeconds(30);
        Assert.Equal(HttpStatusCode.OK, await GetAsync(client, ReaderSecret)); // validated now

        // The key is due for revalidation (older than RevalidateAfter) when the store hangs.
        await Task.Delay(TimeSpan.FromSeconds(2.5), Ct);
        await server.PauseAsync();
        var outage = Stopwatch.StartNew();
        try
        {
            // Counted from the key's last validation, the window would close 2.5 s into the outage; counted from
            // the outage, it stays open 5 s. Every request answers without waiting on the store's 1 s timeout.
            var answered = 0;
            while (outage.Elapsed < TimeSpan.FromSeconds(3.5))
            {
                Assert.Equal(HttpStatusCode.OK, await GetAsync(client, ReaderSecret));
                answered++;
            }

            Assert.True(answered >= 20, $"only {answered} requests answered in 3.5 s: requests waited on the hung store");

            // A key never seen gets 503, and once the circuit is open it does not wait either.
            Assert.Equal(HttpStatusCode.ServiceUnavailable, await GetAsync(client, "tgw_never-seen-0000000000"));

            // Past the window (5 s from the start of the outage) the cached key is refused too: never a pass.
            var refused = Stopwatch.StartNew();
            while (await GetAsync(client, ReaderSecret) != HttpStatusCode.ServiceUnavailable)
            {
                Assert.True(outage.Elapsed < TimeSpan.FromSeconds(15), "the cached key still passed 15 s into the outage");
                await Task.Delay(50, Ct);
            }

            Assert.True(outage.Elapsed >= TimeSpan.FromSeconds(4.5), $"refused after {outage.Elapsed}, before the 5 s window");
        }
        finally
        {
            await server.ResumeAsync();
        }

        var recovered = Stopwatch.StartNew();
        while (await GetAsync(client, ReaderSecret) != HttpStatusCode.OK || await GetAsync(client, StarSecret) != HttpStatusCode.OK)
        {
            Assert.True(recovered.Elapsed < TimeSpan.FromSeconds(6), "service was not whole again within 6 s of Redis answering (requirement: 3 s)");
            await Task.Delay(50, Ct);
        }

        var warnings = gateway.Logs.Count(line => line.Contains("Key store unreachable", StringComparison.Ordinal));
        Assert.Equal(1, warnings);
    }

    /// <summary>
    /// Two outside probes: an instance serving only cached keys kept its outage for minutes after Redis answered again
    /// (nothing asked the store), and the first burst that then needed it got 503s for valid keys.
    /// </summary>
    [Fact]
    public async Task The_outage_ends_when_the_store_answers_again_even_without_traffic()
    {
        var server = redis.RequireServer();
        var gateway = _bed.StartGateway(new Dictionary<string, string?>
        {
            ["Gateway:Keys:RevalidateAfter"] = "00:00:01",
            ["Gateway:Keys:StaleWhileUnreachable"] = "00:00:02",
        });
        await _bed.SeedKeysAsync(gateway);
        using var client = gateway.NewClient();
        client.Timeout = TimeSpan.FromSeconds(30);
        Assert.Equal(HttpStatusCode.OK, await GetAsync(client, ReaderSecret));

        await server.PauseAsync();
        try
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, await GetAsync(client, "tgw_never-seen-0000000001")); // the outage starts
            await Task.Delay(TimeSpan.FromSeconds(3), Ct); // past StaleWhileUnreachable: the cached key is refused now
            Assert.Equal(HttpStatusCode.ServiceUnavailable, await GetAsync(client, ReaderSecret));
        }
        finally
        {
            await server.ResumeAsync();
        }

        // No request meanwhile: the gateway finds out by itself.
        var resumed = Stopwatch.StartNew();
        while (!gateway.Logs.Any(line => line.Contains("Key store answering again", StringComparison.Ordinal)))
        {
            Assert.True(resumed.Elapsed < TimeSpan.FromSeconds(5), "the outage did not end within 5 s of Redis answering, with no traffic");
            await Task.Delay(100, Ct);
        }

        var burst = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => GetAsync(client, ReaderSecret)));
        Assert.All(burst, status => Assert.Equal(HttpStatusCode.OK, status));
    }

    /// <summary>
    /// An outside tester: a preflight during an outage got 403 "No site key for this origin", as if the origin had
    /// none. The store cannot say, so the answer is a 503 with Retry-After, as for a key it cannot check; an origin
    /// whose keys were loaded before the outage keeps its answer.
    /// </summary>
    [Fact]
    public async Task A_preflight_the_hung_store_cannot_decide_is_a_503_not_a_refusal()
    {
        var server = redis.RequireServer();
        var gateway = _bed.StartGateway();
        await _bed.SeedKeysAsync(gateway);
        using var client = gateway.NewClient();
        client.Timeout = TimeSpan.FromSeconds(30);
        Assert.Equal(HttpStatusCode.NoContent, await PreflightStatusAsync(client, SiteOrigin)); // loaded now
        Assert.Equal(HttpStatusCode.Forbidden, await PreflightStatusAsync(client, "https://stranger.example"));

        await server.PauseAsync();
        try
        {
            using var unknown = await PreflightAsync(client, "https://elsewhere.example");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, unknown.StatusCode);
            Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
            Assert.NotNull(unknown.Headers.RetryAfter);
            Assert.False(unknown.Headers.Contains("Access-Control-Allow-Origin"));

            Assert.Equal(HttpStatusCode.NoContent, await PreflightStatusAsync(client, SiteOrigin));
        }
        finally
        {
            await server.ResumeAsync();
        }

        var recovered = Stopwatch.StartNew();
        while (await PreflightStatusAsync(client, "https://elsewhere.example") != HttpStatusCode.Forbidden)
        {
            Assert.True(recovered.Elapsed < TimeSpan.FromSeconds(10), "preflights were not decided again within 10 s of Redis answering");
            await Task.Delay(100, Ct);
        }
    }

    private static async Task<HttpStatusCode> PreflightStatusAsync(HttpClient client, string origin)
    {
        using var response = await PreflightAsync(client, origin);
        return response.StatusCode;
    }

    private static async Task<HttpResponseMessage> PreflightAsync(HttpClient client, string origin)
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, "/docs/x");
        request.Headers.TryAddWithoutValidation("Origin", origin);
        request.Headers.TryAddWithoutValidation("Access-Control-Request-Method", "GET");
        return await client.SendAsync(request, Ct);
    }
}
