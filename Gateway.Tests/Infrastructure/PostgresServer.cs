using System.Text.RegularExpressions;
using Npgsql;
using Xunit;

namespace Tribuo.Gateway.Tests.Infrastructure;

/// <summary>
/// One PostgreSQL server for the whole test run, started lazily and shared by every test class
/// (each class gets its own database through <see cref="PostgresFixture"/>).
/// </summary>
/// <remarks>
/// When <c>TRIBUO_TEST_POSTGRES</c> holds an Npgsql connection string to a superuser on a running server
/// (CI sets <c>Host=127.0.0.1;Port=55432;Username=postgres</c>), that server is used. Otherwise a throwaway
/// cluster is created with initdb/pg_ctl from /usr/lib/postgresql/*/bin (or <c>TRIBUO_TEST_POSTGRES_BIN</c>)
/// in a temp dir, on a free 127.0.0.1 port, trust auth, fsync off; as root it runs through
/// <c>runuser -u postgres --</c>. It is stopped and deleted when the test process exits.
/// </remarks>
public sealed partial class PostgresServer
{
    public const string ConnectionStringEnvironmentVariable = "TRIBUO_TEST_POSTGRES";
    public const string BinDirectoryEnvironmentVariable = "TRIBUO_TEST_POSTGRES_BIN";

    private static readonly Lazy<Task<PostgresServer>> Shared = new(StartSharedAsync, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly NpgsqlConnectionStringBuilder _admin;

    private PostgresServer(NpgsqlConnectionStringBuilder admin, bool isExternal, string? dataDirectory)
    {
        _admin = admin;
        IsExternal = isExternal;
        DataDirectory = dataDirectory;
    }

    /// <summary>True when the server came from <c>TRIBUO_TEST_POSTGRES</c> rather than being started here.</summary>
    public bool IsExternal { get; }

    /// <summary>The data directory of a server started here; null for an external one.</summary>
    public string? DataDirectory { get; }

    public string Host => _admin.Host ?? "127.0.0.1";

    public int Port => _admin.Port;

    /// <summary>Superuser connection string to the maintenance database (<c>postgres</c> unless the env var names another).</summary>
    public string AdminConnectionString => _admin.ConnectionString;

    /// <summary>The shared server, started on first use. Throws <see cref="TestServerUnavailableException"/> (every time, quickly) when it cannot be had.</summary>
    public static Task<PostgresServer> GetSharedAsync() => Shared.Value;

    /// <summary>The shared server, or skips the current test (fails it when CI=true) when it cannot be had.</summary>
    public static async Task<PostgresServer> GetSharedOrSkipAsync()
    {
        try
        {
            return await GetSharedAsync().ConfigureAwait(false);
        }
        catch (TestServerUnavailableException e)
        {
            ServerRequirement.SkipOrFail(e.Message);
            throw; // unreachable
        }
    }

    /// <summary>Connection string for <paramref name="database"/> on this server, as the same superuser.</summary>
    public string ConnectionStringFor(string database)
    {
        var builder = new NpgsqlConnectionStringBuilder(_admin.ConnectionString) { Database = database };
        return builder.ConnectionString;
    }

    /// <summary>Creates a database (default name <c>t_&lt;guid&gt;</c>) and returns its name.</summary>
    public async Task<string> CreateDatabaseAsync(string? name = null)
    {
        name ??= "t_" + Guid.NewGuid().ToString("N");
        if (!SafeName().IsMatch(name))
        {
            throw new ArgumentException($"'{name}' is not a plain lower-case identifier", nameof(name));
        }

        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync().ConfigureAwait(false);
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync().ConfigureAwait(false);
        return name;
    }

    /// <summary>Drops a database, closing whatever connections still use it (pooled ones included).</summary>
    public async Task DropDatabaseAsync(string name)
    {
        if (!SafeName().IsMatch(name))
        {
            throw new ArgumentException($"'{name}' is not a plain lower-case identifier", nameof(name));
        }

        using (var pooled = new NpgsqlConnection(ConnectionStringFor(name)))
        {
            NpgsqlConnection.ClearPool(pooled);
        }

        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync().ConfigureAwait(false);
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    public override string ToString() => $"PostgreSQL {Host}:{Port} ({(IsExternal ? "external" : "started by the tests")})";

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex SafeName();

    private static async Task<PostgresServer> StartSharedAsync()
    {
        var external = Environment.GetEnvironmentVariable(ConnectionStringEnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(external))
        {
            NpgsqlConnectionStringBuilder builder;
            try
            {
                builder = new NpgsqlConnectionStringBuilder(external);
            }
            catch (Exception e)
            {
                throw new TestServerUnavailableException($"{ConnectionStringEnvironmentVariable} is not a valid Npgsql connection string: {e.Message}", e);
            }

            if (string.IsNullOrEmpty(builder.Database))
            {
                builder.Database = "postgres";
            }

            builder.IncludeErrorDetail = true;
            var server = new PostgresServer(builder, isExternal: true, dataDirectory: null);
            await server.CheckReachableAsync($"{ConnectionStringEnvironmentVariable} ({Redacted(builder)})").ConfigureAwait(false);
            return server;
        }

        return await OwnCluster.StartAsync().ConfigureAwait(false);
    }

    private async Task CheckReachableAsync(string what)
    {
        try
        {
            await using var connection = new NpgsqlConnection(AdminConnectionString);
            await connection.OpenAsync().ConfigureAwait(false);
            await using var command = new NpgsqlCommand("select 1", connection);
            await command.ExecuteScalarAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            throw new TestServerUnavailableException($"{what} is not reachable: {e.Message}", e);
        }
    }

    private static string Redacted(NpgsqlConnectionStringBuilder builder)
    {
        var copy = new NpgsqlConnectionStringBuilder(builder.ConnectionString);
        if (!string.IsNullOrEmpty(copy.Password))
        {
            copy.Password = "***";
        }

        return copy.ConnectionString;
    }

    /// <summary>A cluster created and started by this process.</summary>
    private static class OwnCluster
    {
        public static async Task<PostgresServer> StartAsync()
        {
            var bin = FindBinDirectory() ?? throw new TestServerUnavailableException(
                "PostgreSQL binaries not found (no /usr/lib/postgresql/*/bin/initdb): apt-get install postgresql, set "
                + BinDirectoryEnvironmentVariable + ", or point " + ConnectionStringEnvironmentVariable + " at a running server");

            var asRoot = Environment.IsPrivilegedProcess;
            if (asRoot && !PostgresUserExists())
            {
                throw new TestServerUnavailableException(
                    "running as root, and PostgreSQL refuses root, but there is no 'postgres' user to run it as (apt-get install postgresql creates it)");
            }

            var root = Path.Combine(asRoot ? "/tmp" : Path.GetTempPath(), "tribuo-pg-" + Guid.NewGuid().ToString("N"));
            var data = Path.Combine(root, "data");
            var log = Path.Combine(root, "server.log");
            Directory.CreateDirectory(root);
            try
            {
                if (asRoot)
                {
                    await RunAsync(asRoot: false, "chown", ["postgres:postgres", root]).ConfigureAwait(false);
                }

                await RunAsync(asRoot, Path.Combine(bin, "initdb"),
                    ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync"]).ConfigureAwait(false);

                string? lastError = null;
                for (var attempt = 0; attempt < 3; attempt++)
                {
                    var port = LoopbackPort.GetFree();
                    // Later lines win in postgresql.conf, so a retry just appends a new port.
                    await File.AppendAllTextAsync(Path.Combine(data, "postgresql.conf"), $"""

                        # tribuo gateway tests
                        listen_addresses = '127.0.0.1'
                        port = {port}
                        unix_socket_directories = '{root}'
                        max_connections = 200
                        fsync = off
                        synchronous_commit = off
                        full_page_writes = off
                        logging_collector = off

                        """).ConfigureAwait(false);
                    try
                    {
                        await RunAsync(asRoot, Path.Combine(bin, "pg_ctl"), ["-D", data, "-l", log, "-w", "-t", "30", "start"]).ConfigureAwait(false);
                    }
                    catch (TestServerUnavailableException e)
                    {
                        var serverLog = File.Exists(log) ? await File.ReadAllTextAsync(log).ConfigureAwait(false) : "";
                        lastError = $"{e.Message}{Environment.NewLine}server log:{Environment.NewLine}{Tail(serverLog)}";
                        if (serverLog.Contains("could not bind", StringComparison.OrdinalIgnoreCase) ||
                            serverLog.Contains("already in use", StringComparison.OrdinalIgnoreCase))
                        {
                            continue;
                        }

                        break;
                    }

                    var builder = new NpgsqlConnectionStringBuilder
                    {
                        Host = "127.0.0.1",
                        Port = port,
                        Username = "postgres",
                        Database = "postgres",
                        IncludeErrorDetail = true,
                    };
                    var server = new PostgresServer(builder, isExternal: false, dataDirectory: data);
                    ExitCleanup.Register(server, () => Stop(asRoot, bin, data, root));
                    await server.CheckReachableAsync($"the PostgreSQL server started in {data}").ConfigureAwait(false);
                    return server;
                }

                throw new TestServerUnavailableException($"could not start PostgreSQL from {bin}: {lastError}");
            }
            catch
            {
                Stop(asRoot, bin, data, root);
                throw;
            }
        }

        private static void Stop(bool asRoot, string bin, string data, string root)
        {
            try
            {
                if (File.Exists(Path.Combine(data, "postmaster.pid")))
                {
                    RunAsync(asRoot, Path.Combine(bin, "pg_ctl"), ["-D", data, "-m", "immediate", "-w", "-t", "20", "stop"])
                        .Wait(TimeSpan.FromSeconds(25));
                }
            }
            catch (Exception)
            {
                // Best effort at process exit.
            }

            ChildProcess.DeleteDirectoryQuietly(root);
        }

        private static string? FindBinDirectory()
        {
            var configured = Environment.GetEnvironmentVariable(BinDirectoryEnvironmentVariable);
            if (!string.IsNullOrWhiteSpace(configured))
            {
                return HasTools(configured) ? configured : null;
            }

            if (Directory.Exists("/usr/lib/postgresql"))
            {
                var best = Directory.GetDirectories("/usr/lib/postgresql")
                    .Select(d => (Dir: Path.Combine(d, "bin"), Version: Version.TryParse(Path.GetFileName(d).Contains('.') ? Path.GetFileName(d) : Path.GetFileName(d) + ".0", out var v) ? v : new Version(0, 0)))
                    .Where(x => HasTools(x.Dir))
                    .OrderByDescending(x => x.Version)
                    .Select(x => x.Dir)
                    .FirstOrDefault();
                if (best is not null)
                {
                    return best;
                }
            }

            foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            {
                if (HasTools(dir))
                {
                    return dir;
                }
            }

            return null;

            static bool HasTools(string dir) => File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl"));
        }

        private static bool PostgresUserExists()
        {
            try
            {
                return File.ReadLines("/etc/passwd").Any(l => l.StartsWith("postgres:", StringComparison.Ordinal));
            }
            catch (Exception)
            {
                return false;
            }
        }

        /// <summary>Runs a tool to completion (as the postgres user when <paramref name="asRoot"/>); throws with its output on a non-zero exit.</summary>
        private static async Task RunAsync(bool asRoot, string file, string[] args)
        {
            var psi = ChildProcess.NewStartInfo(
                asRoot ? "runuser" : file,
                "/",
                asRoot ? ["-u", "postgres", "--", file, .. args] : args,
                redirectStandardInput: true);
            var commandLine = string.Join(' ', psi.ArgumentList.Prepend(psi.FileName));
            var run = await ChildProcess.RunAsync(psi, TimeSpan.FromSeconds(60), commandLine).ConfigureAwait(false);
            if (run.TimedOut)
            {
                throw new TestServerUnavailableException($"{commandLine} did not finish within 60 s: {Tail(run.Output)}");
            }

            if (run.ExitCode != 0)
            {
                throw new TestServerUnavailableException($"{commandLine} exited with {run.ExitCode}: {Tail(run.Output)}");
            }
        }

        private static string Tail(string text)
        {
            text = text.Trim();
            return text.Length <= 3000 ? text : "..." + text[^3000..];
        }
    }
}

/// <summary>
/// xunit v3 class fixture: a fresh database <c>t_&lt;guid&gt;</c> on the shared <see cref="PostgresServer"/>
/// for one test class, dropped (WITH (FORCE)) when the class is done. It never throws from
/// <see cref="InitializeAsync"/>: when PostgreSQL cannot be had, every test that touches
/// <see cref="ConnectionString"/> (or calls <see cref="RequireServer"/>) is skipped, or failed under CI=true.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private readonly List<string> _extraDatabases = [];
    private PostgresServer? _server;
    private string? _database;
    private string? _unavailableReason;

    /// <summary>Connection string (superuser) for this class's database.</summary>
    public string ConnectionString => RequireServer();

    /// <summary>Name of this class's database.</summary>
    public string DatabaseName
    {
        get
        {
            RequireServer();
            return _database!;
        }
    }

    /// <summary>The shared server.</summary>
    public PostgresServer Server
    {
        get
        {
            RequireServer();
            return _server!;
        }
    }

    /// <summary>Why PostgreSQL is unavailable, or null when the database was created.</summary>
    public string? UnavailableReason => _unavailableReason;

    /// <summary>Returns this class's connection string, or skips (fails when CI=true) the calling test when PostgreSQL could not be had.</summary>
    public string RequireServer()
    {
        if (_server is null || _database is null)
        {
            ServerRequirement.SkipOrFail(_unavailableReason ?? "the PostgreSQL fixture was not initialized");
        }

        return _server.ConnectionStringFor(_database);
    }

    /// <summary>Creates one more fresh database (for a test that needs an empty one) and returns its connection string; dropped with the fixture.</summary>
    public async Task<string> CreateExtraDatabaseAsync()
    {
        RequireServer();
        var name = await _server!.CreateDatabaseAsync().ConfigureAwait(false);
        lock (_extraDatabases)
        {
            _extraDatabases.Add(name);
        }

        return _server.ConnectionStringFor(name);
    }

    public async ValueTask InitializeAsync()
    {
        try
        {
            var server = await PostgresServer.GetSharedAsync().ConfigureAwait(false);
            _database = await server.CreateDatabaseAsync().ConfigureAwait(false);
            _server = server;
        }
        catch (Exception e)
        {
            _unavailableReason = e is TestServerUnavailableException
                ? e.Message
                : $"could not create a test database: {e.GetType().Name}: {e.Message}";
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is null)
        {
            return;
        }

        List<string> names;
        lock (_extraDatabases)
        {
            names = [.. _extraDatabases];
        }

        if (_database is not null)
        {
            names.Add(_database);
        }

        foreach (var name in names)
        {
            try
            {
                await _server.DropDatabaseAsync(name).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Best effort: the server is a throwaway one.
            }
        }
    }
}
