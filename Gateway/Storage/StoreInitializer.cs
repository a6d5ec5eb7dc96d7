using Tribuo.Gateway.Storage.Postgres;
using Tribuo.Gateway.Storage.Sqlite;

namespace Tribuo.Gateway.Storage;

/// <summary>
/// Applies migrations at start without holding the start up: the embedded file is migrated at once (a
/// failure there is a broken disk, worth stopping for); PostgreSQL is retried in the background until it
/// answers, and stays unready meanwhile.
/// </summary>
internal sealed partial class StoreInitializer(IServiceProvider services, StoreSelection selection, ILogger<StoreInitializer> logger) : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(2);

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        if (selection.UsesEmbedded)
        {
            await services.GetRequiredService<SqliteDatabase>().EnsureMigratedAsync();
        }

        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!selection.UsesPostgres)
        {
            return;
        }

        var postgres = services.GetRequiredService<PostgresDatabase>();

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await postgres.EnsureMigratedAsync(stoppingToken);
                return;
            }
            catch (Exception ex) when (StoreErrors.IsNotOwnCancellation(ex, stoppingToken))
            {
                Log.PostgresNotReady(logger, ex.GetType().Name, ex.Message);
                await Task.Delay(RetryDelay, stoppingToken);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 200, Level = LogLevel.Warning, Message = "PostgreSQL not ready for migrations ({Kind}: {Reason}); retrying")]
        public static partial void PostgresNotReady(ILogger logger, string kind, string reason);
    }
}
