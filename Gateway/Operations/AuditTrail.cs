using System.Threading.Channels;
using Dapper;
using Tribuo.Gateway.Storage;

namespace Tribuo.Gateway.Operations;

/// <summary>
/// The audit trail (DESIGN §8): key changes, logins and refused logins, written to <c>audit_events</c> in
/// the users' database (PostgreSQL, or the embedded file) by a background writer, so no request waits on
/// it. Never a secret: subjects are key ids, user ids, providers, addresses.
/// </summary>
internal sealed partial class AuditTrail(IServiceProvider services, StoreSelection stores, TimeProvider time, ILogger<AuditTrail> logger) : BackgroundService
{
    private const int Capacity = 10_000;
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(2);

    private readonly Channel<AuditEvent> _pending = Channel.CreateBounded<AuditEvent>(new BoundedChannelOptions(Capacity) { SingleReader = true });

    private sealed record AuditEvent(DateTimeOffset At, string Kind, string? Subject, string? Detail);

    public void Record(string kind, string? subject, string? detail = null)
    {
        if (!_pending.Writer.TryWrite(new AuditEvent(time.GetUtcNow(), kind, subject, detail)))
        {
            // The database has been unreachable for a long while; the log line still carries the event.
            Log.Dropped(logger, kind, subject ?? "");
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<AuditEvent>();
        while (await _pending.Reader.WaitToReadAsync(stoppingToken))
        {
            if (!await WriteAvailableAsync(batch, stoppingToken))
            {
                await Task.Delay(RetryDelay, stoppingToken);
            }
        }
    }

    /// <summary>Writes what is queued now; for processes that do not run the background writer (the CLI).</summary>
    public async Task DrainAsync() => await WriteAvailableAsync([], CancellationToken.None);

    private async Task<bool> WriteAvailableAsync(List<AuditEvent> batch, CancellationToken cancellationToken)
    {
        while (batch.Count < 500 && _pending.Reader.TryRead(out var next))
        {
            batch.Add(next);
        }

        if (batch.Count == 0)
        {
            return true;
        }

        try
        {
            var dialect = stores.UsesPostgres ? SqlUserStore.Dialect.Postgres : SqlUserStore.Dialect.Sqlite;
            await using var connection = await StorageExtensions.UsersDatabase(services)(cancellationToken);
            await connection.ExecuteAsync("INSERT INTO audit_events (at, kind, subject, detail) VALUES (@At, @Kind, @Subject, @Detail)",
                batch.Select(e => new { At = dialect.Now(e.At), e.Kind, e.Subject, e.Detail }));
            batch.Clear();
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.WriteFailed(logger, batch.Count, ex.GetType().Name);
            return false;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 800, Level = LogLevel.Warning, Message = "Audit trail not written yet ({Count} events, {Kind}); retrying")]
        public static partial void WriteFailed(ILogger logger, int count, string kind);

        [LoggerMessage(EventId = 801, Level = LogLevel.Error, Message = "Audit event {Kind} for {Subject} dropped: the audit queue is full")]
        public static partial void Dropped(ILogger logger, string kind, string subject);
    }
}
