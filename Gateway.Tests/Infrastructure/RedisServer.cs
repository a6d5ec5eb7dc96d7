using System.Net;
using System.Net.Sockets;
using System.Text;
using Xunit;

namespace Tribuo.Gateway.Tests.Infrastructure;

/// <summary>
/// A throwaway <c>redis-server</c> process on a free loopback port, in its own temp dir, without
/// persistence. Tests may <see cref="StopAsync"/> it to simulate an outage and <see cref="StartAsync"/>
/// it again on the same port to simulate recovery (the data is gone after a restart).
/// </summary>
/// <remarks>
/// The binary is taken from <c>TRIBUO_TEST_REDIS_SERVER</c>, else <c>redis-server</c> on PATH,
/// else <c>/usr/bin/redis-server</c>. Use <see cref="StartOrSkipAsync"/> inside a test, or
/// <see cref="RedisFixture"/> as a class fixture.
/// </remarks>
public sealed class RedisServer : IAsyncDisposable
{
    public const string BinaryEnvironmentVariable = "TRIBUO_TEST_REDIS_SERVER";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(10);

    private readonly ChildProcess _process;
    private readonly IReadOnlyList<string> _extraArguments;

    private RedisServer(string binary, string directory, int port, IReadOnlyList<string> extraArguments)
    {
        Binary = binary;
        Directory = directory;
        Port = port;
        _extraArguments = extraArguments;
        _process = new ChildProcess(this, logLines: 40, scratchDirectory: directory);
    }

    /// <summary>Path of the redis-server binary in use.</summary>
    public string Binary { get; }

    /// <summary>The server's private working directory (deleted on dispose).</summary>
    public string Directory { get; }

    /// <summary>Loopback TCP port; stays the same across <see cref="StopAsync"/>/<see cref="StartAsync"/>.</summary>
    public int Port { get; private set; }

    /// <summary>Always 127.0.0.1.</summary>
    public string Host => "127.0.0.1";

    /// <summary>StackExchange.Redis configuration string for this server.</summary>
    public string ConnectionString => $"127.0.0.1:{Port},abortConnect=false,connectTimeout=2000,syncTimeout=2000";

    /// <summary>True while the redis-server process is alive.</summary>
    public bool IsRunning => _process.IsRunning;

    /// <summary>The last lines redis-server wrote (for diagnostics).</summary>
    public string RecentLog => _process.RecentLog;

    /// <summary>The redis-server binary to use, or null when none is installed.</summary>
    public static string? FindBinary()
    {
        var configured = Environment.GetEnvironmentVariable(BinaryEnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return File.Exists(configured) ? Path.GetFullPath(configured) : null;
        }

        return ChildProcess.FindOnPath("redis-server") ?? (File.Exists("/usr/bin/redis-server") ? "/usr/bin/redis-server" : null);
    }

    /// <summary>
    /// Starts a new server, or skips the current test (fails it when CI=true) when redis-server is
    /// missing or does not answer PING within 10 s. Call it from inside a test.
    /// </summary>
    public static async Task<RedisServer> StartOrSkipAsync(params string[] extraArguments)
    {
        try
        {
            return await StartNewAsync(extraArguments).ConfigureAwait(false);
        }
        catch (TestServerUnavailableException e)
        {
            ServerRequirement.SkipOrFail(e.Message);
            throw; // unreachable
        }
    }

    /// <summary>
    /// Starts a new server on a free loopback port; throws <see cref="TestServerUnavailableException"/>
    /// when redis-server is missing or does not come up within 10 s.
    /// </summary>
    /// <param name="extraArguments">More redis-server options (<c>--replicaof</c>, <c>--tls-port</c>, ...), after the fixture's own.</param>
    public static async Task<RedisServer> StartNewAsync(params string[] extraArguments)
    {
        var binary = FindBinary();
        if (binary is null)
        {
            var configured = Environment.GetEnvironmentVariable(BinaryEnvironmentVariable);
            throw new TestServerUnavailableException(string.IsNullOrWhiteSpace(configured)
                ? "redis-server not found (not on PATH, no /usr/bin/redis-server): apt-get install redis-server, or set " + BinaryEnvironmentVariable
                : $"{BinaryEnvironmentVariable}={configured} does not exist");
        }

        return await ChildProcess.StartWithPortRetriesAsync(
            () => new RedisServer(binary, System.IO.Directory.CreateTempSubdirectory("tribuo-redis-").FullName, LoopbackPort.GetFree(), extraArguments),
            server => server.StartAsync(),
            "redis-server did not start").ConfigureAwait(false);
    }

    /// <summary>
    /// Starts (or restarts after <see cref="StopAsync"/>) the process on <see cref="Port"/> and waits until it
    /// answers PING. No-op when already running. Throws <see cref="TestServerUnavailableException"/> on failure.
    /// </summary>
    public Task StartAsync() => _process.StartAsync(
        ChildProcess.NewStartInfo(Binary, Directory,
        [
            "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--bind", "127.0.0.1",
            "--dir", Directory,
            "--save", "",
            "--appendonly", "no",
            "--daemonize", "no",
            "--logfile", "",
            "--loglevel", "warning",
            .. _extraArguments,
        ]),
        what: Binary,
        ready: PingAsync,
        timeout: StartTimeout,
        pollInterval: TimeSpan.FromMilliseconds(50),
        exited: exitCode => $"redis-server ({Binary}) exited with code {exitCode} while starting on 127.0.0.1:{Port}",
        timedOut: $"redis-server ({Binary}) did not answer PING on 127.0.0.1:{Port} within {StartTimeout.TotalSeconds:0} s");

    /// <summary>Kills the process (an abrupt outage: clients see reset connections). The port stays reserved for <see cref="StartAsync"/>.</summary>
    public Task StopAsync() => _process.StopAsync();

    /// <summary>Freezes the process (SIGSTOP): connections stay open and nothing answers, a hung store.</summary>
    public Task PauseAsync() => _process.SignalAsync("STOP");

    /// <summary>Lets a paused process run again (SIGCONT).</summary>
    public Task ResumeAsync() => _process.SignalAsync("CONT");

    /// <summary>Sends a raw inline PING; true when the server answers +PONG within 1 s.</summary>
    /// <summary>CLIENT PAUSE … WRITE: reads are answered, writes wait until the pause ends (then run).</summary>
    public async Task PauseWritesAsync(TimeSpan duration)
    {
        var reply = await SendInlineCommandAsync($"CLIENT PAUSE {(long)duration.TotalMilliseconds} WRITE").ConfigureAwait(false);
        if (reply?.StartsWith("+OK", StringComparison.Ordinal) != true)
        {
            throw new InvalidOperationException($"CLIENT PAUSE answered {reply}");
        }
    }

    public async Task<bool> PingAsync() => (await SendInlineCommandAsync("PING").ConfigureAwait(false))?.StartsWith("+PONG", StringComparison.Ordinal) == true;

    /// <summary>Deletes every key (FLUSHALL) through a raw socket; throws when the server does not answer +OK.</summary>
    public async Task FlushAllAsync()
    {
        var reply = await SendInlineCommandAsync("FLUSHALL").ConfigureAwait(false);
        if (reply?.StartsWith("+OK", StringComparison.Ordinal) != true)
        {
            throw new InvalidOperationException($"FLUSHALL on 127.0.0.1:{Port} answered '{reply ?? "nothing"}'");
        }
    }

    /// <summary>
    /// Writes the data set to <c>dump.rdb</c> in <see cref="Directory"/> (SAVE), which the next
    /// <see cref="StartAsync"/> loads: an outage that loses no data, as with a persistent Redis.
    /// </summary>
    public async Task SaveAsync()
    {
        var reply = await SendInlineCommandAsync("SAVE").ConfigureAwait(false);
        if (reply?.StartsWith("+OK", StringComparison.Ordinal) != true)
        {
            throw new InvalidOperationException($"SAVE on 127.0.0.1:{Port} answered '{reply ?? "nothing"}'");
        }
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();

    /// <summary>Sends one inline command (words without spaces) on the plain port; the first line of the reply, or null.</summary>
    public Task<string?> CommandAsync(string inlineCommand) => SendInlineCommandAsync(inlineCommand);

    private async Task<string?> SendInlineCommandAsync(string command)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, Port), cts.Token).ConfigureAwait(false);
            await socket.SendAsync(Encoding.ASCII.GetBytes(command + "\r\n"), SocketFlags.None, cts.Token).ConfigureAwait(false);
            var buffer = new byte[256];
            var read = 0;
            while (read < buffer.Length)
            {
                var n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, cts.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }

                read += n;
                if (Array.IndexOf(buffer, (byte)'\n', 0, read) >= 0)
                {
                    break;
                }
            }

            return read == 0 ? null : Encoding.ASCII.GetString(buffer, 0, read).TrimEnd();
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or IOException)
        {
            return null;
        }
    }

    public override string ToString() => $"redis-server 127.0.0.1:{Port} ({(IsRunning ? "running" : "stopped")})";
}

/// <summary>
/// xunit v3 class fixture: one <see cref="RedisServer"/> per test class. It never throws from
/// <see cref="InitializeAsync"/>: when the server cannot start, the reason is kept and every test that
/// touches <see cref="Server"/> (or calls <see cref="RequireServer"/>) is skipped, or failed under CI=true.
/// </summary>
/// <example>
/// <code>
/// public sealed class CacheTests(RedisFixture redis) : IClassFixture&lt;RedisFixture&gt;
/// {
///     [Fact]
///     public async Task Works()
///     {
///         var server = redis.RequireServer();          // skip/fail here when redis-server is missing
///         await server.FlushAllAsync();                // isolate from the class's other tests
///         using var mux = ConnectionMultiplexer.Connect(server.ConnectionString);
///         ...
///     }
/// }
/// </code>
/// </example>
public sealed class RedisFixture : IAsyncLifetime
{
    private readonly FixtureServer<RedisServer> _server = new("the Redis fixture was not initialized", "could not start redis-server");

    /// <summary>The class's server; skips/fails the current test when it could not be started.</summary>
    public RedisServer Server => RequireServer();

    /// <summary>Shortcut for <c>Server.ConnectionString</c>.</summary>
    public string ConnectionString => Server.ConnectionString;

    /// <summary>Why the server is unavailable, or null when it started.</summary>
    public string? UnavailableReason => _server.UnavailableReason;

    /// <summary>Returns the server, or skips (fails when CI=true) the calling test when it could not be started.</summary>
    public RedisServer RequireServer() => _server.Require();

    public ValueTask InitializeAsync() => _server.StartAsync(() => RedisServer.StartNewAsync());

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}

/// <summary>Free TCP ports on 127.0.0.1.</summary>
internal static class LoopbackPort
{
    /// <summary>Every port handed out in this process: never handed out twice.</summary>
    private static readonly HashSet<int> HandedOut = [];

    /// <summary>
    /// A port that was free a moment ago and that no other server of this test run was given. It is picked below
    /// the kernel's ephemeral range when possible, so that no outgoing connection takes it while a server that
    /// owns it is stopped and about to restart; and never twice, because a server stopped for an outage test
    /// leaves its port free: handed to another class's Redis, the first server's restart, clients and FLUSHALL
    /// would have reached the other class's data (a key created a moment before answered 401, once in a few runs).
    /// </summary>
    public static int GetFree()
    {
        while (true)
        {
            var port = GetFreeOnce();
            lock (HandedOut)
            {
                if (HandedOut.Add(port))
                {
                    return port;
                }
            }
        }
    }

    private static int GetFreeOnce()
    {
        var ephemeralLow = 32768;
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            ephemeralLow = int.Parse(range[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception)
        {
            // Not Linux, or unreadable: keep the default.
        }

        const int low = 20000;
        if (ephemeralLow - low > 1000)
        {
            for (var attempt = 0; attempt < 50; attempt++)
            {
                var port = Random.Shared.Next(low, ephemeralLow);
                if (TryBind(port))
                {
                    return port;
                }
            }
        }

        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)listener.LocalEndPoint!).Port;
    }

    private static bool TryBind(int port)
    {
        try
        {
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            probe.Bind(new IPEndPoint(IPAddress.Loopback, port));
            probe.Listen(1);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
