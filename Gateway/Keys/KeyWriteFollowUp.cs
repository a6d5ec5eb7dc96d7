using System.Collections.Concurrent;
using Tribuo.Gateway.Storage;

namespace Tribuo.Gateway.Keys;

/// <summary>
/// A key change whose store write did not answer in time (the admin was told 503) may still be stored afterwards: a
/// hung or paused Redis runs the write it already received once it resumes. Nothing then told the instances, which kept
/// serving the key as they had cached it for minutes, and nothing was audited (an outside probe revoked a key while
/// Redis paused writes: the store said revoked, every instance accepted it for five minutes). For a minute after such a
/// write, once a second while the store answers, this tells every instance to read the key again, and audits the change
/// once the store shows it.
/// </summary>
internal sealed partial class KeyWriteFollowUp(IKeyStore store, IChangeFeed changes, KeyChangeFanout local, KeyOptions options,
    Operations.AuditTrail trail, TimeProvider time, ILogger<KeyWriteFollowUp> logger) : BackgroundService
{
    private static readonly TimeSpan Watched = TimeSpan.FromMinutes(1);

    /// <param name="Stored">Whether the key as the store now has it (null: none) shows the change.</param>
    private sealed record Pending(string Kind, string Detail, Func<KeyRecord?, bool> Stored, string[] Hashes, long Since);

    private readonly ConcurrentDictionary<string, Pending> _pending = new(StringComparer.Ordinal);

    /// <summary>
    /// Watches key <paramref name="id"/> after a write that failed as unreachable: <paramref name="kind"/> and
    /// <paramref name="detail"/> are its audit event, <paramref name="hashes"/> the hashes instances may have cached it under.
    /// </summary>
    public void Watch(string id, string kind, string detail, Func<KeyRecord?, bool> stored, params string[] hashes) =>
        _pending[id] = new Pending(kind, detail, stored, hashes, time.GetTimestamp());

    public int Watching => _pending.Count;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            foreach (var (id, pending) in _pending)
            {
                try
                {
                    await FollowAsync(id, pending, stoppingToken);
                }
                catch (Exception ex) when (StoreErrors.IsNotOwnCancellation(ex, stoppingToken))
                {
                    // The store still does not answer: next tick, until the minute is over.
                    if (time.GetElapsedTime(pending.Since) > Watched && _pending.TryRemove(new(id, pending)))
                    {
                        Log.GaveUp(logger, id, pending.Kind);
                    }
                }
            }
        }
    }

    private async Task FollowAsync(string id, Pending pending, CancellationToken cancellationToken)
    {
        var record = await store.GetAsync(id, cancellationToken).WaitAsync(options.StoreTimeout, time, cancellationToken);
        foreach (var hash in pending.Hashes.Append(record?.Sha256).OfType<string>().Distinct(StringComparer.Ordinal))
        {
            local.Changed(hash);
            await changes.PublishAsync(ChangeTopics.Keys, hash, cancellationToken);
        }

        if (pending.Stored(record))
        {
            if (_pending.TryRemove(new(id, pending)))
            {
                Log.StoredLate(logger, id, pending.Kind);
                await trail.RecordAsync(pending.Kind, id, pending.Detail + " (stored after the store did not answer in time)", cancellationToken);
            }
        }
        else if (time.GetElapsedTime(pending.Since) > Watched && _pending.TryRemove(new(id, pending)))
        {
            Log.GaveUp(logger, id, pending.Kind);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 406, Level = LogLevel.Warning, Message = "Key {KeyId}: {Kind} was stored after the store did not answer in time; every instance was told")]
        public static partial void StoredLate(ILogger logger, string keyId, string kind);

        [LoggerMessage(EventId = 407, Level = LogLevel.Information, Message = "Key {KeyId}: {Kind}, which the store did not answer in time, was not stored within a minute")]
        public static partial void GaveUp(ILogger logger, string keyId, string kind);
    }
}
