using Dapper;

namespace Tribuo.Gateway.Storage.Sqlite;

/// <summary>
/// Changes for the embedded store: a <c>changes</c> table every process sharing the file polls, so a
/// revocation made by the CLI reaches a running server within the poll interval.
/// </summary>
internal sealed partial class SqliteChangeFeed(SqliteDatabase database, TimeProvider time, ILogger<SqliteChangeFeed> logger) : IChangeFeed
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan Retention = TimeSpan.FromHours(1);

    private readonly TopicsHeard _polled = new(time);

    public bool IsLive(string topic) => _polled.IsLive(topic);

    public async Task PublishAsync(string topic, string payload, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var now = time.GetUtcNow();
        await connection.ExecuteAsync(
            "INSERT INTO changes (topic, payload, at) VALUES (@topic, @payload, @at); DELETE FROM changes WHERE at < @oldest",
            new { topic, payload, at = now.ToUnixTimeMilliseconds(), oldest = (now - Retention).ToUnixTimeMilliseconds() });
    }

    public async Task SubscribeAsync(string topic, Action<string> changed, Action reset, CancellationToken cancellationToken)
    {
        long last;
        await using (var connection = await database.OpenAsync(cancellationToken))
        {
            last = await connection.ExecuteScalarAsync<long?>("SELECT MAX(seq) FROM changes") ?? 0;
        }

        _ = Task.Run(() => PollAsync(topic, last, changed, reset, cancellationToken), cancellationToken);
    }

    private async Task PollAsync(string topic, long last, Action<string> changed, Action reset, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(PollInterval, time);
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            try
            {
                await using var connection = await database.OpenAsync(cancellationToken);
                var rows = await connection.QueryAsync<ChangeRow>(
                    "SELECT seq AS Seq, payload AS Payload FROM changes WHERE seq > @last AND topic = @topic ORDER BY seq", new { last, topic });
                foreach (var row in rows)
                {
                    changed(row.Payload);
                    last = row.Seq;
                }

                _polled.Heard(topic);
            }
            catch (Exception ex) when (ex is Microsoft.Data.Sqlite.SqliteException or IOException)
            {
                Log.PollFailed(logger, topic, ex.Message);
                reset();
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 311, Level = LogLevel.Warning, Message = "Cannot read {Topic} changes from the embedded store ({Reason})")]
        public static partial void PollFailed(ILogger logger, string topic, string reason);
    }

    /// <summary>A row of <c>changes</c> (a class, not a tuple: Dapper.AOT binds a class's members at build time).</summary>
    internal sealed class ChangeRow
    {
        public long Seq { get; init; }
        public string Payload { get; init; } = "";
    }
}
