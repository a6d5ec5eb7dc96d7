using System.Collections.Concurrent;

namespace Tribuo.Gateway.RateLimits;

/// <summary>
/// Requests Redis counted in advance for this instance, per set of counters, to admit without a round trip.
/// They were counted in the counters' current slot, so they are used only until that slot ends (measured from
/// before the script ran, hence never later by Redis' clock): admitting one of them then is the same as having
/// counted it at that moment, and no window ever holds more than the limit. Unused ones are simply lost.
/// </summary>
internal sealed class SlotLeases(TimeProvider time)
{
    /// <summary>The fewest requests asked for at once; Redis grants them only where the limit has 16 times that room.</summary>
    public const int Size = 32;

    /// <summary>The most: at 40,000 requests a second one grant lasts 25 ms.</summary>
    public const int LargestSize = 1024;

    /// <summary>
    /// How many requests to ask for: a 2000th of the smallest limit, between <see cref="Size"/> and <see cref="LargestSize"/>.
    /// Granted requests not used before their slot ends are lost (counted, never admitted), so an instance can waste
    /// at most one grant per slot, 20 per window: 1% of the limit. The large limits a busy key has cost one Redis
    /// round trip per thousand requests instead of per 32.
    /// </summary>
    public static int SizeFor(IReadOnlyList<LimitedCounter> counters)
    {
        var smallest = long.MaxValue;
        foreach (var counter in counters)
        {
            smallest = Math.Min(smallest, counter.Limit.Count);
        }

        return (int)Math.Clamp(smallest / 2000, Size, LargestSize);
    }

    private static readonly TimeSpan SweepEvery = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, Lease> _leases = new(StringComparer.Ordinal);
    private long _nextSweep;

    public static string SetOf(IReadOnlyList<LimitedCounter> counters) =>
        counters.Count == 1 ? counters[0].Counter : string.Join('\n', counters.Select(c => c.Counter));

    public long Now => time.GetTimestamp();

    /// <summary>True when Redis has granted requests in advance for these counters (used up or not).</summary>
    public bool Holds(string set) => _leases.ContainsKey(set);

    /// <summary>A decision from a leased request, or null when none is left for these counters.</summary>
    public RateLimitDecision? TryTake(string set)
    {
        var now = time.GetTimestamp();
        SweepIfDue(now);
        return _leases.TryGetValue(set, out var lease) ? lease.TryTake(now, time) : null;
    }

    /// <summary>
    /// Keeps the requests granted beyond this one (<paramref name="sentAt"/>: when the script was sent) and returns
    /// the decision for this one, whose remaining count includes them.
    /// </summary>
    public RateLimitDecision Keep(string set, SharedDecision shared, long sentAt)
    {
        if (shared.Granted <= 1)
        {
            return shared.Decision;
        }

        var until = sentAt + (long)(shared.ValidFor.TotalSeconds * time.TimestampFrequency);
        return _leases.GetOrAdd(set, static _ => new Lease()).Add(shared.Decision, shared.Granted - 1, sentAt, until, time);
    }

    private void SweepIfDue(long now)
    {
        var due = Interlocked.Read(ref _nextSweep);
        if (now < due || Interlocked.CompareExchange(ref _nextSweep, now + (long)(SweepEvery.TotalSeconds * time.TimestampFrequency), due) != due)
        {
            return;
        }

        foreach (var (set, lease) in _leases)
        {
            if (lease.Until <= now)
            {
                _leases.TryRemove(set, out _);
            }
        }
    }

    /// <summary>
    /// Grants for one set of counters: requests racing for a refill each get one, and all of them are used,
    /// each only until its own slot ends.
    /// </summary>
    private sealed class Lease
    {
        private readonly Lock _lock = new();
        private readonly List<(long Left, long Until)> _grants = [];
        private RateLimitDecision _latest = null!;
        private long _latestAt;

        public long Until { get; private set; }

        public RateLimitDecision Add(RateLimitDecision granted, long count, long grantedAt, long until, TimeProvider time)
        {
            long left;
            lock (_lock)
            {
                _grants.Add((count, until));
                _latest = granted;
                _latestAt = grantedAt;
                Until = Math.Max(Until, until);
                left = Left();
            }

            return Describe(granted, grantedAt, left, time.GetTimestamp(), time);
        }

        public RateLimitDecision? TryTake(long now, TimeProvider time)
        {
            RateLimitDecision latest;
            long latestAt;
            long left;
            lock (_lock)
            {
                for (var i = _grants.Count - 1; i >= 0; i--)
                {
                    if (_grants[i].Left == 0 || _grants[i].Until <= now)
                    {
                        _grants.RemoveAt(i);
                    }
                }

                if (_grants.Count == 0)
                {
                    return null;
                }

                _grants[0] = (_grants[0].Left - 1, _grants[0].Until);
                (latest, latestAt, left) = (_latest, _latestAt, Left());
            }

            return Describe(latest, latestAt, left, now, time);
        }

        private long Left()
        {
            long left = 0;
            foreach (var grant in _grants)
            {
                left += grant.Left;
            }

            return left;
        }

        /// <summary>What Redis last said, plus what this instance still holds.</summary>
        private static RateLimitDecision Describe(RateLimitDecision granted, long grantedAt, long left, long now, TimeProvider time)
        {
            var elapsed = time.GetElapsedTime(grantedAt, now);
            var states = new LimitState[granted.States.Count];
            for (var i = 0; i < states.Length; i++)
            {
                var s = granted.States[i];
                states[i] = s with { Remaining = s.Remaining + left, ResetAfter = s.ResetAfter > elapsed ? s.ResetAfter - elapsed : TimeSpan.Zero };
            }

            return new RateLimitDecision(granted.Counters, states);
        }
    }
}
