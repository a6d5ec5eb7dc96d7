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

    /// <param name="connectionString">Npgsql's connection string; a keyword it does not know, or a value it cannot read, is an error (see <see cref="Check"/>).</param>
    public PostgresDatabase(string connectionString)
    {
        Check(connectionString);
        try
        {
            _dataSource = NpgsqlDataSource.Create(connectionString);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidOperationException or NotSupportedException)
        {
            throw new ArgumentException($"ConnectionStrings:Postgres: Npgsql cannot use these keywords together ({ex.GetType().Name}; its message is not repeated, since it may quote a value).");
        }
    }

    /// <summary>
    /// Reads the connection string one keyword at a time so that an error can say which, without Npgsql's messages: they
    /// quote what they could not read, and an unquoted <c>;</c> in a password ends it there, so the rest reads as a
    /// keyword (<c>Password=hun;ter2=x</c>: "Couldn't set ter2"). A keyword is named only while no password comes before
    /// it; a value never is (DESIGN §8).
    /// </summary>
    private static void Check(string connectionString)
    {
        var parsed = new System.Data.Common.DbConnectionStringBuilder();
        try
        {
            parsed.ConnectionString = connectionString;
        }
        catch (ArgumentException)
        {
            throw new ArgumentException("ConnectionStrings:Postgres is not a connection string: write keyword=value pairs separated by ';', a value that holds ';' or a quote "
                + "in double quotes (Password=\"a;b\", with \"\" for a quote inside). It is not repeated here, since it may hold a password.");
        }

        string? secret = null;
        foreach (string keyword in parsed.Keys)
        {
            var probe = new NpgsqlConnectionStringBuilder();
            string? problem = null;
            if (!probe.ContainsKey(keyword))
            {
                problem = $"'{keyword}' is not a keyword Npgsql knows";
            }
            else
            {
                try
                {
                    probe[keyword] = parsed[keyword];
                }
                catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidCastException or OverflowException)
                {
                    problem = $"'{keyword}' has a value Npgsql cannot read (a connection string's values are not repeated here)";
                }
            }

            if (problem is not null)
            {
                throw new ArgumentException(secret is null
                    ? $"ConnectionStrings:Postgres: {problem}."
                    : $"ConnectionStrings:Postgres: a keyword after {secret}= is not one Npgsql knows, or has a value it cannot read. It is not repeated here, since it may be "
                      + "the rest of the password: an unquoted ';' ends a value, so a password that holds one is written in double quotes (Password=\"a;b\").");
            }

            if (IsSecret(keyword))
            {
                secret ??= keyword;
            }
        }
    }

    /// <summary>Password, Pwd, PSW, SSL Password, Passfile ...: what follows one of these may be part of a secret.</summary>
    private static bool IsSecret(string keyword)
    {
        var name = keyword.Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant();
        return name.Contains("PASS", StringComparison.Ordinal) || name.Contains("PWD", StringComparison.Ordinal) || name.Contains("PSW", StringComparison.Ordinal);
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
