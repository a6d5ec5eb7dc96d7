namespace Tribuo.Gateway.RateLimits;

/// <summary>
/// What the rate limits know about Redis' health, as a <see cref="Storage.StoreCircuit"/> of their own (a request
/// waits far less for its count than for a key, so a slow Redis may be an outage here and not there): while it is
/// open each request is counted locally at once, and one request a second tries Redis again.
/// </summary>
internal sealed partial class SharedCounterCircuit(TimeProvider time, ILogger<SharedCounterCircuit> logger) : Storage.StoreCircuit(time)
{
    protected override void OutageStarted(string kind) => Log.CountingLocally(logger, kind);

    protected override void OutageEnded(TimeSpan lasted) => Log.SharedAgain(logger, lasted.TotalSeconds);

    private static partial class Log
    {
        [LoggerMessage(EventId = 1100, Level = LogLevel.Warning, Message = "Redis is unreachable ({Kind}): rate limits are counted by each instance on its own until it returns")]
        public static partial void CountingLocally(ILogger logger, string kind);

        [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "Redis is back after {Seconds:0.0} s: rate limits are counted by all instances together again")]
        public static partial void SharedAgain(ILogger logger, double seconds);
    }
}
