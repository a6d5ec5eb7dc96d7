namespace Tribuo.Gateway.RateLimits;

/// <summary>
/// The counting both the Redis script and the in-memory counters use. A limit's window is cut into
/// <see cref="PerWindow"/> sub-windows ("slots") of equal length; a request is counted in the slot of the time
/// it was admitted. A decision at time <c>now</c> sums every slot that overlaps <c>(now - window, now]</c>,
/// the oldest, partly expired one counted whole, and admits only when that sum is below the limit. So every
/// request admitted in the last window is in the sum and no window of the limit's length ever holds more than
/// the limit (a fixed bucket would allow twice the limit across its edge); the price is that a request may
/// be held back up to one slot (a twentieth of the window) longer than an exact log would. Memory stays at
/// about 21 numbers per caller and limit, whatever the count (<c>100000/1d</c> included).
/// </summary>
internal static class SubWindows
{
    public const int PerWindow = 20;

    public static long SlotMilliseconds(RateLimit limit) => (long)limit.Window.TotalMilliseconds / PerWindow;

    /// <summary>The first slot that still overlaps the window ending at <paramref name="now"/> (Unix ms).</summary>
    public static long FirstSlot(RateLimit limit, long now) =>
        FloorDiv(now - (long)limit.Window.TotalMilliseconds, SlotMilliseconds(limit));

    public static long CurrentSlot(RateLimit limit, long now) => FloorDiv(now, SlotMilliseconds(limit));

    /// <summary>
    /// Judges one limit from the counts of slots <see cref="FirstSlot"/>..<see cref="CurrentSlot"/> (oldest first),
    /// before this request is counted. Refused: when the oldest slots will have left the window so that a request
    /// passes. Admitted: what is left once this request is counted, and when the oldest counted slot leaves.
    /// </summary>
    public static LimitState Judge(RateLimit limit, long now, ReadOnlySpan<long> counts)
    {
        var slot = SlotMilliseconds(limit);
        var window = (long)limit.Window.TotalMilliseconds;
        var first = FirstSlot(limit, now);
        long total = 0;
        foreach (var count in counts)
        {
            total += count;
        }

        if (total >= limit.Count)
        {
            var running = total;
            for (var i = 0; i < counts.Length; i++)
            {
                running -= counts[i];
                if (running < limit.Count)
                {
                    return new LimitState(0, LeavesAfter(first + i, slot, window, now), Refused: true);
                }
            }
        }

        var oldest = counts.Length - 1;
        for (var i = 0; i < counts.Length; i++)
        {
            if (counts[i] > 0)
            {
                oldest = i;
                break;
            }
        }

        return new LimitState(limit.Count - total - 1, LeavesAfter(first + oldest, slot, window, now), Refused: false);
    }

    /// <summary>Slot <paramref name="index"/> stops overlapping the window once <c>now - window</c> reaches its end.</summary>
    private static TimeSpan LeavesAfter(long index, long slot, long window, long now) =>
        TimeSpan.FromMilliseconds(Math.Max(0, (index + 1) * slot + window - now));

    private static long FloorDiv(long value, long divisor) => value / divisor - (value % divisor < 0 ? 1 : 0);
}
