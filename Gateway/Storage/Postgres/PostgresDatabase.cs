using Npgsql;

namespace Tribuo.Gateway.Storage.Postgres;

/// <summary>
/// Users and audit in PostgreSQL when <c>ConnectionStrings:Postgres</c> is set. Migrations run at start and
/// again on first use after an outage: a PostgreSQL that is down at start makes the gateway unready (503),
/// not crash.
/// </summary>
internal sealed class PostgresDatabase : IStoreCheck, IAsyncDisposable
{
    /// <summary>Arbitrary, fixed: every instance takes the same advisory lock to migrate one at a time.</summary>
    private const long MigrationLockId = 0x7472_6962_756f;

    private readonly NpgsqlDataSource _dataSource;
    private readonly SemaphoreSlim _migrateLock = new(1, 1);
    private volatile bool _migrated;

    public PostgresDatabase(string connectionString)
    {
        _dataSource = NpgsqlDataSource.Create(connectionString);
    }

    public string Name => "postgres";

    public async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken = default)
    {
        await EnsureMigratedAsync(cancellationToken);
        return await _dataSource.OpenConnectionAsync(cancellationToken);
    }

    /// <summary>
    /// A connection opened synchronously, for callers that are synchronous themselves (ASP.NET Core's
    /// data-protection key ring): blocking on an asynchronous open can stall a start for the length of a
    /// timeout when socket completions run inline. Only a first use that comes before the start's migration
    /// has finished waits for it.
    /// </summary>
    public NpgsqlConnection Open()
    {
        if (!_migrated)
        {
            EnsureMigratedAsync().GetAwaiter().GetResult();
        }

        return _dataSource.OpenConnection();
    }

    public async Task EnsureMigratedAsync(CancellationToken cancellationToken = default)
    {
        if (_migrated)
        {
            return;
        }

        await _migrateLock.WaitAsync(cancellationToken);
        try
        {
            if (!_migrated)
            {
                await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
                await MigrationRunner.ApplyAsync(connection, PostgresMigrations.All, $"SELECT pg_advisory_xact_lock({MigrationLockId})", cancellationToken);
                _migrated = true;
            }
        }
        finally
        {
            _migrateLock.Release();
        }
    }

    public async Task<string?> CheckAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand("SELECT 1", connection);
            await command.ExecuteScalarAsync(cancellationToken);
            return null;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            // NpgsqlException messages name host and port at most, never the password.
            return $"postgres is unreachable ({ex.GetType().Name})";
        }
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}

/// <summary>PostgreSQL's schema, in the order it was introduced (DESIGN §5 tables).</summary>
internal static class PostgresMigrations
{
    public static readonly IReadOnlyList<Migration> All =
    [
        new(1, "users", $"""
            CREATE TABLE users (
                id TEXT PRIMARY KEY,
                email TEXT NOT NULL,
                name TEXT NOT NULL DEFAULT '',
                img_url TEXT NULL,
                role TEXT NOT NULL DEFAULT 'default',
                company TEXT NULL,
                organization_siret TEXT NULL,
                api_token TEXT NULL,
                created_at TIMESTAMPTZ NOT NULL DEFAULT now()
            );
            -- One person, one user, whatever the case of the e-mail the provider sent.
            CREATE UNIQUE INDEX users_email_key ON users (lower(email));
            {SharedSchema.UserLinks}
            CREATE TABLE audit_events (
                id BIGSERIAL PRIMARY KEY,
                at TIMESTAMPTZ NOT NULL DEFAULT now(),
                kind TEXT NOT NULL,
                subject TEXT NULL,
                detail TEXT NULL
            );
            """),
        new(2, "signing and data protection keys", $"""
            {SharedSchema.Keys}
            """),
        new(3, "user identities", SharedSchema.Identities),
        new(4, "audit events by subject", SharedSchema.AuditBySubject),
    ];
}
