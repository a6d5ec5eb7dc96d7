using System.Threading.Channels;
using Dapper;
using Tribuo.Gateway.Storage;

namespace Tribuo.Gateway.Operations;

/// <summary>
/// The audit trail (DESIGN §8): key changes, logins and refused logins, written to <c>audit_events</c> in
/// the users' database (PostgreSQL, or the embedded file) by a background writer, so no request waits on
/// it while the database keeps up. No event is ever dropped: when the queue is full (the database has been
/// slow or down for a while) whoever records an event waits for room, and stopping the writer (server
/// shutdown, the end of a CLI verb) first writes what is queued. Never a secret: subjects are key ids,
/// user ids, providers, addresses.
/// </summary>
internal sealed partial class AuditTrail : BackgroundService
{
    private const int BatchSize = 500;
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(2);

    private readonly IServiceProvider _services;
    private readonly StoreSelection _stores;
    private readonly TimeProvider _time;
    private readonly ILogger<AuditTrail> _logger;
    private readonly Channel<AuditEvent> _pending;

    public AuditTrail(IServiceProvider services, StoreSelection stores, TimeProvider time, IConfiguration configuration, ILogger<AuditTrail> logger)
    {
        (_services, _stores, _time, _logger) = (services, stores, time, logger);
        var capacity = QueueSize(configuration);
        _pending = Channel.CreateBounded<AuditEvent>(new BoundedChannelOptions(capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    }

    public const string QueueSizeSetting = "Gateway:Audit:QueueSize";

    /// <summary><c>Gateway:Audit:QueueSize</c>: a whole number from 1 to 10,000,000 (default 10,000); anything else is an error naming it.</summary>
    public static int QueueSize(IConfiguration configuration) =>
        Hosting.SettingValues.Number(configuration, QueueSizeSetting, 10_000, 1, 10_000_000);

    private sealed record AuditEvent(DateTimeOffset At, string Kind, string? Subject, string? Detail);

    /// <summary>Events recorded but not written yet.</summary>
    public int Pending => _pending.Reader.Count + Volatile.Read(ref _inBatch);

    /// <summary>Events taken from the queue into the batch being written: not written yet either.</summary>
    private int _inBatch;

    /// <summary>Queues an event; waits for room when the queue is full rather than lose it.</summary>
    public async ValueTask RecordAsync(string kind, string? subject, string? detail = null, CancellationToken cancellationToken = default)
    {
        try
        {
            await _pending.Writer.WriteAsync(new AuditEvent(_time.GetUtcNow(), kind, subject, detail), cancellationToken);
        }
        catch (ChannelClosedException)
        {
            Log.Unwritten(_logger, 1);
        }
    }

    /// <summary>For callers that cannot await: the same, blocking only in the rare case of a full queue.</summary>
    public void Record(string kind, string? subject, string? detail = null)
    {
        var queued = new AuditEvent(_time.GetUtcNow(), kind, subject, detail);
        if (!_pending.Writer.TryWrite(queued))
        {
            Log.QueueFull(_logger, kind);
            try
            {
                _pending.Writer.WriteAsync(queued).AsTask().GetAwaiter().GetResult();
            }
            catch (ChannelClosedException)
            {
                Log.Unwritten(_logger, 1);
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<AuditEvent>(BatchSize);
        // A batch that failed is retried without waiting for a new event, and is not forgotten when the queue closes.
        while (batch.Count > 0 || await _pending.Reader.WaitToReadAsync(stoppingToken))
        {
            if (!await WriteAvailableAsync(batch, stoppingToken))
            {
                await Task.Delay(RetryDelay, _time, stoppingToken);
            }
        }
    }

    /// <summary>Stops taking events and writes every queued one before the writer ends (or the host gives up waiting).</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _pending.Writer.TryComplete();
        if (ExecuteTask is { } writer)
        {
            await Task.WhenAny(writer, Task.Delay(Timeout.Infinite, cancellationToken));
        }

        await base.StopAsync(cancellationToken);
        if (Pending > 0)
        {
            Log.Unwritten(_logger, Pending);
        }
    }

    private async Task<bool> WriteAvailableAsync(List<AuditEvent> batch, CancellationToken cancellationToken)
    {
        while (batch.Count < BatchSize && _pending.Reader.TryRead(out var next))
        {
            batch.Add(next);
        }

        Volatile.Write(ref _inBatch, batch.Count);

        if (batch.Count == 0)
        {
            return true;
        }

        try
        {
            var dialect = _stores.UsesPostgres ? SqlUserStore.Dialect.Postgres : SqlUserStore.Dialect.Sqlite;
            await using var connection = await StorageExtensions.UsersDatabase(_services)(cancellationToken);
            // One transaction per batch: one commit (one fsync on SQLite) for up to 500 rows.
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await connection.ExecuteAsync("INSERT INTO audit_events (at, kind, subject, detail) VALUES (@At, @Kind, @Subject, @Detail)",
                batch.Select(e => new { At = dialect.Now(e.At), e.Kind, e.Subject, e.Detail }), transaction);
            await transaction.CommitAsync(cancellationToken);
            batch.Clear();
            Volatile.Write(ref _inBatch, 0);
            return true;
        }
        catch (Exception ex) when (Storage.StoreErrors.IsNotOwnCancellation(ex, cancellationToken))
        {
            Log.WriteFailed(_logger, batch.Count, ex.GetType().Name);
            return false;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 800, Level = LogLevel.Warning, Message = "Audit trail not written yet ({Count} events, {Kind}); retrying")]
        public static partial void WriteFailed(ILogger logger, int count, string kind);

        [LoggerMessage(EventId = 801, Level = LogLevel.Warning, Message = "Audit queue full: recording {Kind} waits for the writer")]
        public static partial void QueueFull(ILogger logger, string kind);

        [LoggerMessage(EventId = 802, Level = LogLevel.Error, Message = "Audit trail: {Count} events could not be written before the writer stopped")]
        public static partial void Unwritten(ILogger logger, int count);
    }
}
