namespace Tribuo.Gateway.Keys;

/// <summary>
/// What the key path knows about the store's health (issue 9 item 13). An outage starts at the first failed
/// read and ends at the first answer; it is logged once, when it starts, and once when it ends. After a few
/// failures in a row the store is not asked for a while (one probe per second), so a hung store costs
/// nobody a timeout per request. <see cref="KeyOptions.StaleWhileUnreachable"/> is counted from
/// <see cref="OutageElapsed"/>: a key validated before the outage works that long, however busy it is.
/// </summary>
internal sealed partial class KeyStoreCircuit(TimeProvider time, ILogger<KeyStoreCircuit> logger)
{
    private const int FailuresBeforeOpening = 3;
    private static readonly TimeSpan ProbeEvery = TimeSpan.FromSeconds(1);

    private long _outageStart;
    private int _failures;
    private long _nextProbe;
    private int _probing;

    public bool InOutage => Volatile.Read(ref _outageStart) != 0;

    public TimeSpan OutageElapsed => Volatile.Read(ref _outageStart) is var start and not 0 ? time.GetElapsedTime(start) : TimeSpan.Zero;

    /// <summary>False while the circuit is open; true for the one probe it lets through per second.</summary>
    public bool MayAsk()
    {
        if (Volatile.Read(ref _failures) < FailuresBeforeOpening)
        {
            return true;
        }

        return time.GetTimestamp() >= Volatile.Read(ref _nextProbe) && Interlocked.CompareExchange(ref _probing, 1, 0) == 0;
    }

    public void Succeeded()
    {
        Volatile.Write(ref _failures, 0);
        Volatile.Write(ref _probing, 0);
        var start = Interlocked.Exchange(ref _outageStart, 0);
        if (start != 0)
        {
            Log.Recovered(logger, time.GetElapsedTime(start).TotalSeconds);
        }
    }

    public void Failed(string kind)
    {
        // Timestamps are never 0 in practice; 1 keeps "no outage" distinguishable if the clock starts at 0.
        var now = Math.Max(time.GetTimestamp(), 1);
        if (Interlocked.CompareExchange(ref _outageStart, now, 0) == 0)
        {
            Log.Unreachable(logger, kind);
        }

        Interlocked.Increment(ref _failures);
        Volatile.Write(ref _nextProbe, now + (long)(ProbeEvery.TotalSeconds * time.TimestampFrequency));
        Volatile.Write(ref _probing, 0);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "Key store unreachable ({Kind}); serving keys validated before the outage, for StaleWhileUnreachable")]
        public static partial void Unreachable(ILogger logger, string kind);

        [LoggerMessage(EventId = 301, Level = LogLevel.Information, Message = "Key store answering again after {Seconds:0.0} s")]
        public static partial void Recovered(ILogger logger, double seconds);
    }
}
