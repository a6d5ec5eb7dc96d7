using Microsoft.Data.Sqlite;

namespace Tribuo.Gateway.Storage.Sqlite;

/// <summary>
/// The embedded store: one SQLite file under <c>Gateway:DataDir</c> that holds whatever has no server
/// configured (keys without Redis, users without PostgreSQL), so that a fresh machine needs nothing installed.
/// </summary>
internal sealed class SqliteDatabase : IStoreCheck
{
    private readonly string _connectionString;
    private readonly Lazy<Task> _migrated;

    public SqliteDatabase(string dataDir)
    {
        PrivateFiles.CreateFolder(dataDir);
        FilePath = Path.Combine(dataDir, "gateway.db");
        // DefaultTimeout doubles as the busy timeout: a writer waits for another instance's write instead of failing.
        _connectionString = new SqliteConnectionStringBuilder { DataSource = FilePath, DefaultTimeout = 10, Pooling = true }.ToString();
        _migrated = new Lazy<Task>(MigrateAsync);
    }

    public string FilePath { get; }

    public string Name => "embedded";

    public async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken = default)
    {
        await _migrated.Value;
        return await OpenRawAsync(cancellationToken);
    }

    public Task EnsureMigratedAsync() => _migrated.Value;

    /// <summary>A connection opened synchronously (see <c>PostgresDatabase.Open</c>); the schema must be in place.</summary>
    public SqliteConnection Open()
    {
        if (!_migrated.IsValueCreated || !_migrated.Value.IsCompletedSuccessfully)
        {
            throw new InvalidOperationException("The embedded store is not migrated yet.");
        }

        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    public async Task<string?> CheckAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await OpenAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT 1";
            await command.ExecuteScalarAsync(cancellationToken);
            return null;
        }
        catch (Exception ex) when (ex is SqliteException or IOException or UnauthorizedAccessException)
        {
            return $"embedded store {FilePath} is not usable: {ex.Message}";
        }
    }

    private async Task<SqliteConnection> OpenRawAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    private async Task MigrateAsync()
    {
        await using var connection = await OpenRawAsync(CancellationToken.None);
        await using (var wal = connection.CreateCommand())
        {
            // WAL lets readers (the key lookups) proceed while a writer holds the lock.
            wal.CommandText = "PRAGMA journal_mode=WAL";
            await wal.ExecuteNonQueryAsync();
        }

        await MigrationRunner.ApplyAsync(connection, SqliteMigrations.All, lockSql: null, CancellationToken.None);
        PrivateFiles.Restrict(FilePath, FilePath + "-wal", FilePath + "-shm");
    }
}

/// <summary>The embedded store's schema, in the order it was introduced.</summary>
internal static class SqliteMigrations
{
    public static readonly IReadOnlyList<Migration> All =
    [
        new(1, "keys", """
            CREATE TABLE keys (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                sha256 TEXT NOT NULL UNIQUE,
                scopes TEXT NOT NULL,
                expires_at INTEGER NULL,
                disabled INTEGER NOT NULL DEFAULT 0,
                revoked_at INTEGER NULL,
                origins TEXT NOT NULL DEFAULT '',
                user_id TEXT NULL,
                created_at INTEGER NOT NULL,
                last_used_at INTEGER NULL
            );
            """),
        new(2, "users", $"""
            CREATE TABLE users (
                id TEXT PRIMARY KEY,
                email TEXT NOT NULL UNIQUE COLLATE NOCASE,
                name TEXT NOT NULL DEFAULT '',
                img_url TEXT NULL,
                role TEXT NOT NULL DEFAULT 'default',
                company TEXT NULL,
                organization_siret TEXT NULL,
                api_token TEXT NULL,
                created_at INTEGER NOT NULL
            );
            {SharedSchema.UserLinks}
            CREATE TABLE audit_events (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                at INTEGER NOT NULL,
                kind TEXT NOT NULL,
                subject TEXT NULL,
                detail TEXT NULL
            );
            """),
        new(3, "key changes", """
            CREATE TABLE key_changes (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                sha256 TEXT NOT NULL,
                at INTEGER NOT NULL
            );
            """),
        new(4, "generic change feed", """
            DROP TABLE key_changes;
            CREATE TABLE changes (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                topic TEXT NOT NULL,
                payload TEXT NOT NULL,
                at INTEGER NOT NULL
            );
            """),
        new(5, "signing and data protection keys, revoked tokens", $"""
            {SharedSchema.Keys}
            CREATE TABLE revoked_tokens (
                jti TEXT PRIMARY KEY,
                expires_at INTEGER NOT NULL
            );
            """),
        new(6, "key rate limits", "ALTER TABLE keys ADD COLUMN rate_limits TEXT NOT NULL DEFAULT '';"),
        new(7, "user identities", SharedSchema.Identities),
        new(8, "audit events by subject", SharedSchema.AuditBySubject),
    ];
}
