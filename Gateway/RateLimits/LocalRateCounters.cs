namespace Tribuo.Gateway.RateLimits;

/// <summary>
/// Counting in this process alone: without Redis, or while it is unreachable. The same sub-window counting as
/// the Redis script (<see cref="SubWindows"/>), so a caller meets the same limits, only per instance.
/// </summary>
internal sealed class LocalRateCounters(TimeProvider time)
{
    private static readonly TimeSpan SweepEvery = TimeSpan.FromMinutes(1);

    private readonly Dictionary<string, Slots> _counters = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private long _nextSweep;

    public RateLimitDecision Decide(IReadOnlyList<LimitedCounter> counters)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var states = new LimitState[counters.Count];
        Span<long> buffer = stackalloc long[SubWindows.PerWindow + 2];
        lock (_lock)
        {
            SweepIfDue(now);
            var allowed = true;
            for (var i = 0; i < counters.Count; i++)
            {
                var limit = counters[i].Limit;
                var slots = SlotsOf(counters[i]);
                var first = SubWindows.FirstSlot(limit, now);
                var counts = buffer[..(int)(SubWindows.CurrentSlot(limit, now) - first + 1)];
                for (var j = 0; j < counts.Length; j++)
                {
                    counts[j] = slots.Counts.GetValueOrDefault(first + j);
                }

                states[i] = SubWindows.Judge(limit, now, counts);
                allowed &= !states[i].Refused;
            }

            if (allowed)
            {
                foreach (var counter in counters)
                {
                    SlotsOf(counter).Count(SubWindows.CurrentSlot(counter.Limit, now), SubWindows.FirstSlot(counter.Limit, now), now + (long)counter.Limit.Window.TotalMilliseconds + SubWindows.SlotMilliseconds(counter.Limit));
                }
            }
        }

        return new RateLimitDecision(counters, states);
    }

    private Slots SlotsOf(LimitedCounter counter)
    {
        if (!_counters.TryGetValue(counter.Counter, out var slots))
        {
            slots = new Slots();
            _counters[counter.Counter] = slots;
        }

        return slots;
    }

    /// <summary>Callers that stopped calling would otherwise stay in memory forever.</summary>
    private void SweepIfDue(long now)
    {
        if (now < _nextSweep)
        {
            return;
        }

        _nextSweep = now + (long)SweepEvery.TotalMilliseconds;
        foreach (var (name, slots) in _counters)
        {
            if (slots.ExpiresAt <= now)
            {
                _counters.Remove(name);
            }
        }
    }

    private sealed class Slots
    {
        public Dictionary<long, long> Counts { get; } = [];

        /// <summary>When every counted request has left the window, like the Redis key's expiry.</summary>
        public long ExpiresAt { get; private set; }

        public void Count(long current, long first, long expiresAt)
        {
            if (Counts.TryGetValue(current, out var count))
            {
                Counts[current] = count + 1;
            }
            else
            {
                Counts[current] = 1;
                foreach (var old in Counts.Keys.Where(k => k < first).ToArray())
                {
                    Counts.Remove(old);
                }
            }

            ExpiresAt = expiresAt;
        }
    }
}
