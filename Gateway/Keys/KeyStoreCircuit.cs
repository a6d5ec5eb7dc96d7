namespace Tribuo.Gateway.Keys;

/// <summary>
/// What the key path knows about the store's health (issue 9 item 13), as a <see cref="Storage.StoreCircuit"/>:
/// one warning when an outage starts, one line when it ends, one probe a second while it lasts.
/// <see cref="KeyOptions.StaleWhileUnreachable"/> is counted from <see cref="Storage.StoreCircuit.OutageElapsed"/>:
/// a key validated before the outage works that long, however busy it is.
/// </summary>
internal sealed partial class KeyStoreCircuit(TimeProvider time, ILogger<KeyStoreCircuit> logger) : Storage.StoreCircuit(time)
{
    protected override void OutageStarted(string kind) => Log.Unreachable(logger, kind);

    protected override void OutageEnded(TimeSpan lasted) => Log.Recovered(logger, lasted.TotalSeconds);

    private static partial class Log
    {
        [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "Key store unreachable ({Kind}); serving keys validated before the outage, for StaleWhileUnreachable")]
        public static partial void Unreachable(ILogger logger, string kind);

        [LoggerMessage(EventId = 301, Level = LogLevel.Information, Message = "Key store answering again after {Seconds:0.0} s")]
        public static partial void Recovered(ILogger logger, double seconds);
    }
}
