namespace Tribuo.Gateway.Storage;

/// <summary>
/// What one path knows about a store's health. An outage starts at the first failed call and ends at the first
/// answer; the path says so once when it starts and once when it ends (<see cref="OutageStarted"/>,
/// <see cref="OutageEnded"/>), never once per request. After a few failures in a row the store is not asked for a
/// while (one probe per second), so a hung store costs nobody a timeout per request. Each path has its own circuit:
/// a slow answer to one (the rate limits' short budget) must not start the other's outage.
/// </summary>
internal abstract class StoreCircuit(TimeProvider time)
{
    private const int FailuresBeforeOpening = 3;
    private static readonly TimeSpan ProbeEvery = TimeSpan.FromSeconds(1);

    private long _outageStart;
    private int _failures;
    private long _nextProbe;
    private int _probing;

    public bool InOutage => Volatile.Read(ref _outageStart) != 0;

    public TimeSpan OutageElapsed => Volatile.Read(ref _outageStart) is var start and not 0 ? time.GetElapsedTime(start) : TimeSpan.Zero;

    /// <summary>
    /// False while the circuit is open; true for the one probe it lets through per second. Whoever gets true calls
    /// <see cref="Succeeded"/>, <see cref="Failed"/> or <see cref="Abandoned"/>: until then no other probe goes.
    /// </summary>
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
            OutageEnded(time.GetElapsedTime(start));
        }
    }

    /// <param name="kind">What went wrong, short and free of secrets (an exception's type name).</param>
    public void Failed(string kind)
    {
        // Timestamps are never 0 in practice; 1 keeps "no outage" distinguishable if the clock starts at 0.
        var now = Math.Max(time.GetTimestamp(), 1);
        if (Interlocked.CompareExchange(ref _outageStart, now, 0) == 0)
        {
            OutageStarted(kind);
        }

        Interlocked.Increment(ref _failures);
        Volatile.Write(ref _nextProbe, now + (long)(ProbeEvery.TotalSeconds * time.TimestampFrequency));
        Volatile.Write(ref _probing, 0);
    }

    /// <summary>
    /// The caller stopped waiting for its own reasons (its request was aborted): nothing was learned about the store,
    /// but the probe it may have held is handed back, or the store would never be asked again.
    /// </summary>
    public void Abandoned() => Volatile.Write(ref _probing, 0);

    /// <summary>Once per outage, at its first failure.</summary>
    protected abstract void OutageStarted(string kind);

    /// <summary>Once per outage, at the first answer after it.</summary>
    protected abstract void OutageEnded(TimeSpan lasted);
}
