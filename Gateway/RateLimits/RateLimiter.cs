using System.Collections.Concurrent;

namespace Tribuo.Gateway.RateLimits;

/// <summary>
/// Decides one request against its limits: with Redis, counts shared by every instance; without it, or while it
/// cannot be reached, this instance's own counts. Never unlimited, never an error. A hung Redis costs a request at
/// most <see cref="SharedCountBudget"/>, and after a few such failures nothing at all: the
/// <see cref="SharedCounterCircuit"/> sends requests straight to local counting, tries Redis once a second, and
/// logs the outage once.
/// </summary>
internal sealed class RateLimiter(RedisRateCounters? shared, SharedCounterCircuit circuit, SlotLeases leases, LocalRateCounters local, TimeProvider time)
{
    /// <summary>
    /// The longest a request waits for Redis to count it. A healthy Redis answers the script within milliseconds; a
    /// hung one (a paused process, a black-holed network: the connection stays up) would hold the request for the
    /// client's own timeout (5 s by default) and then fail it. Past this the request is counted locally, which the
    /// contract allows, so a short wait costs little. A constant: the rate limits have no settings of their own, and
    /// the client's timeout is no guide (it is meant for every other Redis call).
    /// </summary>
    private static readonly TimeSpan SharedCountBudget = TimeSpan.FromMilliseconds(250);

    private readonly ConcurrentDictionary<string, TaskCompletionSource> _refills = new(StringComparer.Ordinal);

    /// <param name="set">The counters' name as one string (<see cref="SlotLeases.SetOf"/>).</param>
    /// <param name="cancellationToken">The request's own: when it fires, the request is gone and nothing is decided.</param>
    public async ValueTask<RateLimitDecision> DecideAsync(IReadOnlyList<LimitedCounter> counters, string set, CancellationToken cancellationToken)
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

        if (!circuit.MayAsk())
        {
            return local.Decide(counters);
        }

        // Only one request at a time asks for a grant for these counters, so that this instance never holds more
        // than one grant's worth of requests counted in advance; the others are counted one by one.
        var mine = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var registered = _refills.TryAdd(set, mine);
        try
        {
            var sentAt = leases.Now;
            // Started off the request: whatever the client does before its first real await (a lock it waits on while it
            // tears a dead connection down) would otherwise hold the request past the budget. One hop per grant, not per request.
            var want = registered ? SlotLeases.SizeFor(counters) : 1;
            var answer = await Task.Run(() => shared.DecideAsync(counters, want), CancellationToken.None).WaitAsync(SharedCountBudget, time, cancellationToken);
            if (answer is not null)
            {
                circuit.Succeeded();
                return leases.Keep(set, answer, sentAt);
            }

            circuit.Failed("not connected");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The caller went away: nothing was learned about Redis, and nobody is left to answer.
            circuit.Abandoned();
            throw;
        }
        catch (Exception ex)
        {
            // Whatever failed (the budget, the client's own timeout, a connection error, or an InvalidOperationException
            // from the client's reader while it reconnects), the request is counted locally: never a 5xx, never unlimited.
            circuit.Failed(ex.GetType().Name);
        }
        finally
        {
            if (registered)
            {
                _refills.TryRemove(set, out _);
                mine.SetResult();
            }
        }

        return local.Decide(counters);
    }
}
