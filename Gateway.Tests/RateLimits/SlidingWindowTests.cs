using Tribuo.Gateway.RateLimits;
using Xunit;

namespace Tribuo.Gateway.Tests.RateLimits;

/// <summary>The counting itself, on a clock the test moves: no window ever holds more than the limit, and the reset it announces is when a request really passes.</summary>
public sealed class SlidingWindowTests
{
    private sealed class ManualClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = DateTimeOffset.FromUnixTimeMilliseconds(1_790_000_000_123);

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static LimitedCounter Counter(string name, string limit) => new(name, RateLimit.Parse(limit), name);

    [Fact]
    public void No_window_of_the_limits_length_ever_admits_more_than_the_limit()
    {
        var clock = new ManualClock();
        var counters = new LocalRateCounters(clock);
        var limit = Counter("k", "50/10s");
        var random = new Random(11);
        var admitted = new List<DateTimeOffset>();
        var start = clock.Now;

        while (clock.Now - start < TimeSpan.FromSeconds(60))
        {
            if (counters.Decide([limit]).Allowed)
            {
                admitted.Add(clock.Now);
            }

            clock.Now += TimeSpan.FromMilliseconds(random.Next(0, 120));
        }

        foreach (var from in admitted)
        {
            Assert.True(admitted.Count(t => t >= from && t < from + TimeSpan.FromSeconds(10)) <= 50, $"more than 50 in the 10 s from {from:O}");
        }

        // Conservative by at most one slot: over a minute at ~16 requests/s it still admits nearly 50 per window.
        Assert.InRange(admitted.Count, 6 * 50 * 19 / 20 - 50, 6 * 50 + 50);
    }

    [Fact]
    public void A_refused_request_passes_exactly_when_the_announced_reset_is_over()
    {
        var clock = new ManualClock();
        var counters = new LocalRateCounters(clock);
        var limit = Counter("k", "3/4s");
        for (var i = 0; i < 3; i++)
        {
            Assert.True(counters.Decide([limit]).Allowed);
            clock.Now += TimeSpan.FromMilliseconds(300);
        }

        var refused = counters.Decide([limit]);
        Assert.False(refused.Allowed);
        var wait = refused.Tightest.State.ResetAfter;
        Assert.InRange(wait, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(4) + TimeSpan.FromMilliseconds(200));

        clock.Now += wait - TimeSpan.FromMilliseconds(1);
        Assert.False(counters.Decide([limit]).Allowed);
        clock.Now += TimeSpan.FromMilliseconds(1);
        var passed = counters.Decide([limit]);
        Assert.True(passed.Allowed);
        Assert.Equal(0, passed.Tightest.State.Remaining);
    }

    [Fact]
    public void Limits_are_judged_together_and_a_refusal_spends_no_other_limits_budget()
    {
        var clock = new ManualClock();
        var counters = new LocalRateCounters(clock);
        var route = Counter("route", "2/10s");
        var key = Counter("key", "3/10s");

        Assert.True(counters.Decide([route, key]).Allowed);
        var second = counters.Decide([route, key]);
        Assert.Equal((route, 0L), (second.Tightest.Counter, second.Tightest.State.Remaining));
        var refused = counters.Decide([route, key]);
        Assert.False(refused.Allowed);
        Assert.Same(route, refused.Tightest.Counter);

        // The key's own budget was spent twice, not three times: one more passes elsewhere.
        var elsewhere = counters.Decide([key]);
        Assert.True(elsewhere.Allowed);
        Assert.Equal(0, elsewhere.Tightest.State.Remaining);
        Assert.False(counters.Decide([key]).Allowed);
    }

    [Fact]
    public void Counters_with_different_names_do_not_share_counts()
    {
        var counters = new LocalRateCounters(new ManualClock());
        Assert.True(counters.Decide([Counter("a", "1/1m")]).Allowed);
        Assert.False(counters.Decide([Counter("a", "1/1m")]).Allowed);
        Assert.True(counters.Decide([Counter("b", "1/1m")]).Allowed);
    }
}
