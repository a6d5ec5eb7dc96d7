using Tribuo.Gateway.Storage;

namespace Tribuo.Gateway.Keys;

/// <summary>Applies every key change any instance publishes to this instance.</summary>
internal sealed class KeyCacheSync(IChangeFeed feed, KeyChangeFanout fanout) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        feed.SubscribeAsync(ChangeTopics.Keys, fanout.Changed, fanout.Reset, stoppingToken);
}

/// <summary>
/// Asks the key store once a second while the key path's circuit is open, so an outage ends when the store answers
/// again, not when a request next needs it. Before, an instance serving only cached keys kept its outage for minutes
/// after Redis recovered, and the first burst that then needed the store got 503s for keys that were fine (two outside
/// probes). The probe goes through the circuit like any request's (one at a time) and reads a hash no key has.
/// </summary>
internal sealed class KeyStoreProbe(KeyStoreCircuit circuit, IKeyStore store, KeyOptions options, TimeProvider time) : BackgroundService
{
    private static readonly string NoKey = new('0', 64);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (!circuit.InOutage || !circuit.MayAsk())
            {
                continue;
            }

            try
            {
                await store.FindByHashAsync(NoKey, stoppingToken).WaitAsync(options.StoreTimeout, time, stoppingToken);
                circuit.Succeeded();
            }
            catch (Exception ex) when (StoreErrors.IsNotOwnCancellation(ex, stoppingToken))
            {
                circuit.Failed(ex.GetType().Name);
            }
            catch (OperationCanceledException)
            {
                circuit.Abandoned();
                throw;
            }
        }
    }
}

/// <summary>
/// Writes last-use times in batches: the hot path only stamps the cached entry, and this writes what was
/// stamped since the previous flush, so no request waits on a store write.
/// </summary>
internal sealed partial class KeyUsageRecorder(KeyCache cache, IKeyStore store, KeyOptions options, TimeProvider time, ILogger<KeyUsageRecorder> logger) : BackgroundService
{
    private long _flushedUpTo;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.LastUsedFlushInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            await FlushAsync(stoppingToken);
        }
    }

    /// <summary>Writes at most this many keys' times at once: 200,000 keys in use written in one go held 200,000 store
    /// writes and their hash texts in memory together, long enough to reach the oldest generation.</summary>
    private const int BatchSize = 1_000;

    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        var since = _flushedUpTo;
        var batch = new Dictionary<string, DateTimeOffset>(BatchSize);
        var newest = since;
        var written = 0;
        try
        {
            foreach (var entry in cache.Entries)
            {
                var used = Volatile.Read(ref entry.LastUsedUnixMs);
                if (used > since && entry.Record is not null)
                {
                    batch[Convert.ToHexStringLower(entry.Hash)] = DateTimeOffset.FromUnixTimeMilliseconds(used);
                    newest = Math.Max(newest, used);
                    if (batch.Count == BatchSize)
                    {
                        await store.TouchAsync(batch, cancellationToken);
                        written += batch.Count;
                        batch.Clear();
                    }
                }
            }

            if (batch.Count > 0)
            {
                await store.TouchAsync(batch, cancellationToken);
            }

            _flushedUpTo = newest;
        }
        catch (Exception ex) when (Storage.StoreErrors.IsNotOwnCancellation(ex, cancellationToken))
        {
            // Nothing is marked written: the next flush writes these times again (a later time never loses).
            Log.FlushFailed(logger, written, ex.GetType().Name);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await FlushAsync(cancellationToken);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 320, Level = LogLevel.Warning, Message = "Could not record the last use of keys ({Kind}) after {Written} were written; the next flush writes them all again")]
        public static partial void FlushFailed(ILogger logger, int written, string kind);
    }
}

/// <summary>
/// Imports <c>Gateway:KeysFile</c> at start: keys whose Id is not in the store yet. The file was validated
/// before the server started; the import itself retries in the background while the store is unreachable.
/// </summary>
internal sealed partial class KeySeeder(KeysFileAtStart file, KeyService keys, ILogger<KeySeeder> logger) : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(2);

    public TaskCompletionSource Completed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (file.Contents is not { } contents)
        {
            Completed.TrySetResult();
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // A refused key is its own warning, from the import.
                var import = await keys.ImportAsync(contents, "seed:" + Path.GetFileName(file.Path), stoppingToken);
                Log.Seeded(logger, file.Path, import.Imported, import.Skipped + import.Refused.Count);
                Completed.TrySetResult();
                return;
            }
            catch (Exception ex) when (Storage.StoreErrors.IsNotOwnCancellation(ex, stoppingToken))
            {
                Log.SeedRetry(logger, ex.GetType().Name);
                await Task.Delay(RetryDelay, stoppingToken);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 330, Level = LogLevel.Information, Message = "Keys file {Path}: {Imported} imported, {Skipped} already known or skipped")]
        public static partial void Seeded(ILogger logger, string path, int imported, int skipped);

        [LoggerMessage(EventId = 331, Level = LogLevel.Warning, Message = "Key store not reachable for seeding ({Kind}); retrying")]
        public static partial void SeedRetry(ILogger logger, string kind);
    }
}

/// <summary>The keys file as read and validated at start (null contents: no file).</summary>
internal sealed record KeysFileAtStart(string Path, KeysFile? Contents, IReadOnlyList<string> Errors);
