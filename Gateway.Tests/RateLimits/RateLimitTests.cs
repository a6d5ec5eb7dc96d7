using System.Diagnostics;
using System.Net;
using Tribuo.Gateway.Tests.Infrastructure;
using Xunit;
using static Tribuo.Gateway.Tests.RateLimits.RateLimitBed;

namespace Tribuo.Gateway.Tests.RateLimits;

/// <summary>Rate limits through real gateways sharing one real Redis (DESIGN §3, §4).</summary>
public sealed class RateLimitTests(RedisFixture redis) : IClassFixture<RedisFixture>, IAsyncLifetime
{
    private RateLimitBed _bed = null!;

    public async ValueTask InitializeAsync() => _bed = await RateLimitBed.StartAsync(redis.RequireServer());

    public ValueTask DisposeAsync() => _bed.DisposeAsync();

    private int Forwarded(string path) => _bed.Upstream.Received.Count(r => r.Path.StartsWith(path, StringComparison.Ordinal));

    [Fact]
    public async Task Three_instances_on_one_Redis_admit_exactly_the_limit_then_more_as_the_window_slides()
    {
        var gateways = new[] { _bed.StartGateway(), _bed.StartGateway(), _bed.StartGateway() };
        var secret = await AddKeyAsync(gateways[0], "fifty", limits: "50/10s");
        var clients = gateways.Select(g => g.NewClient()).ToArray();
        foreach (var client in clients)
        {
            client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", $"KEY {secret}");
        }

        var watch = Stopwatch.StartNew();
        var statuses = await Task.WhenAll(Enumerable.Range(0, 200).Select(async i =>
        {
            using var response = await clients[i % 3].GetAsync($"/keyed/burst/{i}", TestContext.Current.CancellationToken);
            return response.StatusCode;
        }));
        var elapsed = watch.Elapsed;

        var admitted = statuses.Count(s => s == HttpStatusCode.OK);
        Assert.Equal(200 - admitted, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
        Assert.Equal(admitted, Forwarded("/keyed/burst/"));
        if (elapsed < TimeSpan.FromSeconds(10))
        {
            Assert.Equal(50, admitted);
        }
        else
        {
            // A machine too loaded to send 200 requests within one window: the window slid during the burst.
            Assert.InRange(admitted, 50, 50 * (1 + (int)(elapsed.TotalSeconds / 10)));
        }

        // The window slides: the first admitted requests leave it, and more pass again, never above the limit.
        using var refused = await clients[1].GetAsync("/keyed/probe", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        var retryAfter = int.Parse(Header(refused, "Retry-After"));
        Assert.InRange(retryAfter, 1, 11);
        await Task.Delay(TimeSpan.FromSeconds(retryAfter), TestContext.Current.CancellationToken);
        var again = await Task.WhenAll(Enumerable.Range(0, 60).Select(async i =>
        {
            using var response = await clients[i % 3].GetAsync($"/keyed/again/{i}", TestContext.Current.CancellationToken);
            return response.StatusCode;
        }));
        Assert.InRange(again.Count(s => s == HttpStatusCode.OK), 1, 50);
        Assert.DoesNotContain(again, s => (int)s >= 500);
        foreach (var client in clients)
        {
            client.Dispose();
        }
    }

    [Fact]
    public async Task Large_limits_are_counted_in_advance_per_instance_yet_never_exceeded()
    {
        var gateways = new[] { _bed.StartGateway(), _bed.StartGateway(), _bed.StartGateway() };
        var secret = await AddKeyAsync(gateways[0], "large", limits: "100000/1d");
        var clients = gateways.Select(g => g.NewClient()).ToArray();
        foreach (var client in clients)
        {
            client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", $"KEY {secret}");
        }

        // One instance, one request at a time: the remaining count goes down by one per request, across refills
        // (by one grant more if its slot of 72 minutes happens to end meanwhile).
        var remaining = new List<long>();
        for (var i = 0; i < 70; i++)
        {
            using var response = await clients[0].GetAsync("/keyed/large", TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            remaining.Add(long.Parse(Header(response, "RateLimit-Remaining")));
        }

        Assert.Equal(99_999, remaining[0]);
        Assert.All(remaining.Zip(remaining.Skip(1)), pair => Assert.True(pair.Second < pair.First, $"{pair.Second} after {pair.First}"));
        Assert.InRange(remaining[^1], 99_999 - 69 - 31, 99_999 - 69);

        // A limit of 2000 with room for several advance grants: all instances together still admit at most 2000.
        var other = await AddKeyAsync(gateways[0], "two-thousand", limits: "2000/1m");
        foreach (var client in clients)
        {
            client.DefaultRequestHeaders.Remove("Authorization");
            client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", $"KEY {other}");
        }

        var statuses = new List<HttpStatusCode>();
        var watch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, 2300), new ParallelOptions { MaxDegreeOfParallelism = 24 }, async (i, ct) =>
        {
            using var response = await clients[i % 3].GetAsync($"/keyed/many/{i}", ct);
            lock (statuses)
            {
                statuses.Add(response.StatusCode);
            }
        });

        // Requests counted in advance but not used before their slot (3 s) ends are lost: at most 31 per instance and slot.
        var slots = 2 + (int)(watch.Elapsed.TotalSeconds / 3);
        var admitted = statuses.Count(s => s == HttpStatusCode.OK);
        Assert.InRange(admitted, 2000 - 3 * 31 * slots, 2000);
        Assert.Equal(2300 - admitted, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
        Assert.Equal(admitted, Forwarded("/keyed/many/"));
        foreach (var client in clients)
        {
            client.Dispose();
        }
    }

    [Fact]
    public async Task Two_keys_do_not_share_counts()
    {
        var gateway = _bed.StartGateway();
        var first = await AddKeyAsync(gateway, "first", limits: "3/30s");
        var second = await AddKeyAsync(gateway, "second", limits: "3/30s");

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, await StatusAsync(gateway, "/keyed/a", first));
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, await StatusAsync(gateway, "/keyed/a", first));
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, await StatusAsync(gateway, "/keyed/a", second));
        }
    }

    [Fact]
    public async Task Route_and_key_limits_apply_together_the_stricter_answers_and_a_refusal_spends_nothing()
    {
        var gateway = _bed.StartGateway();
        var secret = await AddKeyAsync(gateway, "both", limits: "5/30s");

        for (var i = 0; i < 3; i++)
        {
            using var passed = await SendAsync(gateway, "/routed/x", secret);
            Assert.Equal(HttpStatusCode.OK, passed.StatusCode);
            Assert.Equal("3", Header(passed, "RateLimit-Limit"));
            Assert.Equal((2 - i).ToString(), Header(passed, "RateLimit-Remaining"));
        }

        using (var refused = await SendAsync(gateway, "/routed/x", secret))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            var body = await refused.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            Assert.Contains("Route 'routed'", body);
            Assert.Contains("3/10s", body);
            Assert.DoesNotContain(secret, body);
        }

        // The refused request did not count against the key's 5: two more pass on a route without its own limit.
        using (var keyed = await SendAsync(gateway, "/keyed/x", secret))
        {
            Assert.Equal(HttpStatusCode.OK, keyed.StatusCode);
            Assert.Equal(("5", "1"), (Header(keyed, "RateLimit-Limit"), Header(keyed, "RateLimit-Remaining")));
        }

        Assert.Equal(HttpStatusCode.OK, await StatusAsync(gateway, "/keyed/x", secret));
        using var keyRefused = await SendAsync(gateway, "/keyed/x", secret);
        Assert.Equal(HttpStatusCode.TooManyRequests, keyRefused.StatusCode);
        Assert.Contains("Key 'both'", await keyRefused.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(5, Forwarded("/keyed/") + Forwarded("/routed/"));

        // Now the key's limit is the stricter one on the limited route too.
        using var stricter = await SendAsync(gateway, "/routed/x", secret);
        Assert.Equal(HttpStatusCode.TooManyRequests, stricter.StatusCode);
    }

    [Fact]
    public async Task A_public_route_counts_each_client_address_as_the_trusted_proxy_reports_it()
    {
        var behindProxy = _bed.StartGateway(new Dictionary<string, string?> { ["Gateway:TrustedProxies:0"] = "127.0.0.1" });
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, await StatusAsync(behindProxy, "/pub/x", forwardedFor: "203.0.113.7"));
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, await StatusAsync(behindProxy, "/pub/x", forwardedFor: "203.0.113.7"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await StatusAsync(behindProxy, "/pub/x", forwardedFor: "198.51.100.1, 203.0.113.7"));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(behindProxy, "/pub/x", forwardedFor: "203.0.113.8"));

        // Without a trusted proxy, X-Forwarded-For is the client's own claim: every request counts as 127.0.0.1.
        var direct = _bed.StartGateway();
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, await StatusAsync(direct, "/pub/x", forwardedFor: $"192.0.2.{i}"));
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, await StatusAsync(direct, "/pub/x", forwardedFor: "192.0.2.99"));
    }

    [Fact]
    public async Task Headers_and_Retry_After_say_when_the_next_request_really_passes()
    {
        var gateways = new[] { _bed.StartGateway(), _bed.StartGateway() };
        var secret = await AddKeyAsync(gateways[0], "timed", limits: "2/3s");

        using (var first = await SendAsync(gateways[0], "/keyed/t", secret))
        {
            Assert.Equal(("2", "1"), (Header(first, "RateLimit-Limit"), Header(first, "RateLimit-Remaining")));
            Assert.InRange(int.Parse(Header(first, "RateLimit-Reset")), 1, 4);
        }

        Assert.Equal(HttpStatusCode.OK, await StatusAsync(gateways[1], "/keyed/t", secret));
        using var refused = await SendAsync(gateways[0], "/keyed/t", secret);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        var retryAfter = int.Parse(Header(refused, "Retry-After"));
        Assert.InRange(retryAfter, 1, 4);
        Assert.Equal(Header(refused, "Retry-After"), Header(refused, "RateLimit-Reset"));
        Assert.Equal("0", Header(refused, "RateLimit-Remaining"));

        await Task.Delay(TimeSpan.FromSeconds(retryAfter), TestContext.Current.CancellationToken);
        using var passed = await SendAsync(gateways[1], "/keyed/t", secret);
        Assert.Equal(HttpStatusCode.OK, passed.StatusCode);
    }

    /// <summary>An outside probe: the upstream's own RateLimit-* headers reached the client beside the gateway's, two limits.</summary>
    [Fact]
    public async Task The_gateways_rate_limit_headers_replace_the_upstreams()
    {
        var gateway = _bed.StartGateway();
        _bed.Upstream.SetHeaders("/routed/own", new("RateLimit-Limit", "999"), new("RateLimit-Remaining", "998"), new("RateLimit-Reset", "77"), new("X-Other", "kept"));

        var secret = await AddKeyAsync(gateway, "own-headers");
        using var response = await SendAsync(gateway, "/routed/own", secret);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(("3", "2"), (Header(response, "RateLimit-Limit"), Header(response, "RateLimit-Remaining")));
        Assert.InRange(int.Parse(Header(response, "RateLimit-Reset")), 1, 11);
        Assert.Equal("kept", Header(response, "X-Other"));
    }

    [Fact]
    public async Task Refusals_are_counted_by_route_in_metrics()
    {
        var gateway = _bed.StartGateway();
        var admin = await AddKeyAsync(gateway, "metrics-admin", admin: true);
        for (var i = 0; i < 4; i++)
        {
            await StatusAsync(gateway, "/pub/m", forwardedFor: null);
        }

        using var client = gateway.NewClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", $"KEY {admin}");
        var metrics = await client.GetStringAsync("/metrics", TestContext.Current.CancellationToken);
        Assert.Contains("tribuo_gateway_rate_limited_total{route=\"pub\"} 1", metrics);
    }
}
