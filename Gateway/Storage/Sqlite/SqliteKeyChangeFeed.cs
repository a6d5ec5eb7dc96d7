using Dapper;
using Tribuo.Gateway.Keys;

namespace Tribuo.Gateway.Storage.Sqlite;

/// <summary>
/// Key changes for the embedded store: a <c>key_changes</c> table every process sharing the file polls, so a
/// revocation made by the CLI reaches a running server within the poll interval.
/// </summary>
internal sealed partial class SqliteKeyChangeFeed(SqliteDatabase database, TimeProvider time, ILogger<SqliteKeyChangeFeed> logger) : IKeyChangeFeed
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan Retention = TimeSpan.FromHours(1);

    public async Task PublishAsync(string sha256, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var now = time.GetUtcNow();
        await connection.ExecuteAsync(
            "INSERT INTO key_changes (sha256, at) VALUES (@sha256, @at); DELETE FROM key_changes WHERE at < @oldest",
            new { sha256, at = now.ToUnixTimeMilliseconds(), oldest = (now - Retention).ToUnixTimeMilliseconds() });
    }

    public async Task SubscribeAsync(Action<string> changed, Action reset, CancellationToken cancellationToken)
    {
        long last;
        await using (var connection = await database.OpenAsync(cancellationToken))
        {
            last = await connection.ExecuteScalarAsync<long?>("SELECT MAX(seq) FROM key_changes") ?? 0;
        }

        _ = Task.Run(() => PollAsync(last, changed, reset, cancellationToken), cancellationToken);
    }

    private async Task PollAsync(long last, Action<string> changed, Action reset, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(PollInterval, time);
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            try
            {
                await using var connection = await database.OpenAsync(cancellationToken);
                var rows = await connection.QueryAsync<(long Seq, string Sha256)>(
                    "SELECT seq, sha256 FROM key_changes WHERE seq > @last ORDER BY seq", new { last });
                foreach (var (seq, sha256) in rows)
                {
                    changed(sha256);
                    last = seq;
                }
            }
            catch (Exception ex) when (ex is Microsoft.Data.Sqlite.SqliteException or IOException)
            {
                Log.PollFailed(logger, ex.Message);
                reset();
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 311, Level = LogLevel.Warning, Message = "Cannot read key changes from the embedded store ({Reason})")]
        public static partial void PollFailed(ILogger logger, string reason);
    }
}
