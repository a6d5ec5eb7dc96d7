using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Logging;
using Tribuo.Gateway.Tests.Infrastructure;
using Xunit;
using static Tribuo.Gateway.Tests.RateLimits.RateLimitBed;

namespace Tribuo.Gateway.Tests.RateLimits;

/// <summary>Without Redis, or while it is down or hung, each instance counts on its own: never unlimited, never a 5xx, never a wait for the client's timeout.</summary>
public sealed class RateLimitOutageTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    private const string CountingLocally = "counted by each instance on its own";
    private const string SharedAgain = "counted by all instances together again";

    /// <summary>Three requests from <paramref name="client"/> to each gateway, then one more to each: what they answered.</summary>
    private static async Task<List<HttpStatusCode>> ExhaustAsync(GatewayApp[] gateways, string client)
    {
        var statuses = new List<HttpStatusCode>();
        foreach (var gateway in gateways)
        {
            for (var i = 0; i < 4; i++)
            {
                statuses.Add(await StatusAsync(gateway, "/pub/x", forwardedFor: client));
            }
        }

        return statuses;
    }

    /// <summary>Each client reconnects by itself; probes with throwaway addresses (never a 5xx) until every gateway counts in Redis again.</summary>
    private static async Task WaitUntilSharedAgainAsync(GatewayApp[] gateways)
    {
        var probe = 0;
        foreach (var gateway in gateways)
        {
            var watch = Stopwatch.StartNew();
            while (!gateway.Logs.Any(l => l.Contains(SharedAgain, StringComparison.Ordinal)))
            {
                Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), "the gateway did not go back to Redis within 30 s");
                Assert.True((int)await StatusAsync(gateway, "/pub/x", forwardedFor: $"198.51.100.{++probe % 250}") < 500);
                await Task.Delay(100, TestContext.Current.CancellationToken);
            }
        }
    }

    [Fact]
    public async Task Redis_stopped_mid_test_means_local_counting_without_5xx_and_shared_counting_when_it_returns()
    {
        var server = redis.RequireServer();
        await using var bed = await RateLimitBed.StartAsync(server);
        var gateways = await SharedPairAsync(bed);

        await server.StopAsync();
        List<HttpStatusCode> duringOutage;
        try
        {
            duringOutage = await ExhaustAsync(gateways, "203.0.113.2");
        }
        finally
        {
            await server.StartAsync();
        }

        // Each instance admitted the limit on its own, and refused beyond it: never unlimited, never a 5xx.
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests,
            HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], duringOutage);
        foreach (var gateway in gateways)
        {
            Assert.Single(gateway.Logs, l => l.Contains(CountingLocally, StringComparison.Ordinal));
        }

        await WaitUntilSharedAgainAsync(gateways);
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests,
            HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests],
            await ExhaustAsync(gateways, "203.0.113.3"));
    }

    [Fact]
    public async Task Redis_paused_mid_test_means_quick_local_answers_without_5xx_and_shared_counting_once_it_resumes()
    {
        var server = redis.RequireServer();
        await using var bed = await RateLimitBed.StartAsync(server);
        var gateways = await SharedPairAsync(bed);

        // SIGSTOP: the connection stays open and the client still calls itself connected, but nothing answers. Requests
        // every 300 ms for 6 s, three times the client's 2 s timeout, meet every state the client goes through meanwhile.
        await server.PauseAsync();
        var answers = gateways.Select(_ => new List<(HttpStatusCode Status, TimeSpan Took)>()).ToArray();
        try
        {
            var outage = Stopwatch.StartNew();
            while (outage.Elapsed < TimeSpan.FromSeconds(6))
            {
                for (var i = 0; i < gateways.Length; i++)
                {
                    var watch = Stopwatch.StartNew();
                    var status = await StatusAsync(gateways[i], "/pub/x", forwardedFor: "203.0.113.2");
                    answers[i].Add((status, watch.Elapsed));
                }

                await Task.Delay(300, TestContext.Current.CancellationToken);
            }
        }
        finally
        {
            await server.ResumeAsync();
        }

        foreach (var (gateway, answered) in gateways.Zip(answers))
        {
            // The limit, counted by the instance alone: never unlimited, never a 5xx, and never a wait for the client's timeout.
            var seen = string.Join(' ', answered.Select(a => $"{(int)a.Status}:{a.Took.TotalMilliseconds:0}ms"));
            Assert.True(answered.Count > 3 && answered.Take(3).All(a => a.Status == HttpStatusCode.OK) && answered.Skip(3).All(a => a.Status == HttpStatusCode.TooManyRequests),
                $"expected three 200s then only 429s; got {seen}");
            Assert.True(answered.All(a => a.Took < TimeSpan.FromSeconds(1)), $"answers waited on the paused Redis (its timeout is 2 s): {seen}");

            // One line for the whole outage, not one (or a stack trace) per request.
            Assert.Equal([LogLevel.Warning], gateway.Logs.Where(l => l.Contains(" Tribuo.Gateway.RateLimits.", StringComparison.Ordinal)).Select(LevelOf));
            Assert.Contains(gateway.Logs, l => l.Contains(CountingLocally, StringComparison.Ordinal));
            Assert.DoesNotContain(gateway.Logs, l => LevelOf(l) >= LogLevel.Error);
        }

        await WaitUntilSharedAgainAsync(gateways);
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests,
            HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests],
            await ExhaustAsync(gateways, "203.0.113.3"));
    }

    /// <summary>The level a captured log line starts with.</summary>
    private static LogLevel LevelOf(string line) => Enum.Parse<LogLevel>(line[..line.IndexOf(' ', StringComparison.Ordinal)]);

    [Fact]
    public async Task Without_Redis_each_instance_counts_in_memory()
    {
        await using var bed = await RateLimitBed.StartAsync(redis: null);
        var gateway = bed.StartGateway();

        for (var i = 0; i < 3; i++)
        {
            using var passed = await SendAsync(gateway, "/pub/x");
            Assert.Equal(HttpStatusCode.OK, passed.StatusCode);
            Assert.Equal((2 - i).ToString(), Header(passed, "RateLimit-Remaining"));
        }

        using var refused = await SendAsync(gateway, "/pub/x");
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.InRange(int.Parse(Header(refused, "Retry-After")), 1, 32); // the window plus at most one slot
        Assert.Equal(3, bed.Upstream.Received.Count);
    }

    /// <summary>Two gateways behind a trusted balancer on the bed's Redis, checked to share their counts.</summary>
    private static async Task<GatewayApp[]> SharedPairAsync(RateLimitBed bed)
    {
        var trusted = new Dictionary<string, string?> { ["Gateway:TrustedProxies:0"] = "127.0.0.1" };
        var gateways = new[] { bed.StartGateway(trusted), bed.StartGateway(trusted) };

        // Shared: the second instance refuses what the first one already admitted.
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests,
            HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests],
            await ExhaustAsync(gateways, "203.0.113.1"));
        return gateways;
    }
}
