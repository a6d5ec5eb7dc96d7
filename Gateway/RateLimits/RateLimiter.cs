using System.Collections.Concurrent;
using StackExchange.Redis;

namespace Tribuo.Gateway.RateLimits;

/// <summary>
/// Decides one request against its limits: with Redis, counts shared by every instance; without it, or while it
/// cannot be reached, this instance's own counts (said once per outage in the log). Never unlimited, never an error.
/// </summary>
internal sealed partial class RateLimiter(RedisRateCounters? shared, SlotLeases leases, LocalRateCounters local, ILogger<RateLimiter> logger)
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _refills = new(StringComparer.Ordinal);
    private int _local;

    /// <param name="set">The counters' name as one string (<see cref="SlotLeases.SetOf"/>).</param>
    public async ValueTask<RateLimitDecision> DecideAsync(IReadOnlyList<LimitedCounter> counters, string set)
    {
        if (shared is null)
        {
            return local.Decide(counters);
        }

        if (leases.TryTake(set) is { } leased)
        {
            return leased;
        }

        // Requests that find a grant used up at the same moment wait for one refill rather than each asking Redis
        // (only where grants happen: callers of small limits go to Redis one by one anyway).
        if (leases.Holds(set) && _refills.TryGetValue(set, out var refill))
        {
            await refill.Task;
            if (leases.TryTake(set) is { } refilled)
            {
                return refilled;
            }
        }

        // Only one request at a time asks for a grant for these counters, so that this instance never holds more
        // than one grant's worth of requests counted in advance; the others are counted one by one.
        var mine = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var registered = _refills.TryAdd(set, mine);
        try
        {
            if (await shared.IsConnectedAsync())
            {
                var sentAt = leases.Now;
                var answer = await shared.DecideAsync(counters, registered ? SlotLeases.SizeFor(counters) : 1);
                var decision = leases.Keep(set, answer, sentAt);
                if (Interlocked.Exchange(ref _local, 0) == 1)
                {
                    Log.SharedAgain(logger);
                }

                return decision;
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // Falls through: an unreachable Redis must not turn into a 5xx, nor into no limit at all.
        }
        finally
        {
            if (registered)
            {
                _refills.TryRemove(set, out _);
                mine.SetResult();
            }
        }

        if (Interlocked.Exchange(ref _local, 1) == 0)
        {
            Log.CountingLocally(logger);
        }

        return local.Decide(counters);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1100, Level = LogLevel.Warning, Message = "Redis is unreachable: rate limits are counted by each instance on its own until it returns")]
        public static partial void CountingLocally(ILogger logger);

        [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "Redis is back: rate limits are counted by all instances together again")]
        public static partial void SharedAgain(ILogger logger);
    }
}
