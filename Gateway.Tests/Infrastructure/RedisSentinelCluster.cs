using System.Globalization;
using System.Net;
using StackExchange.Redis;

namespace Tribuo.Gateway.Tests.Infrastructure;

/// <summary>
/// Redis as operators run it for high availability, on loopback: a master, a replica of it and one
/// <c>redis-sentinel</c> watching them (quorum 1, master declared down after 1 s). Tests kill the
/// <see cref="Master"/> to make the sentinel promote the <see cref="Replica"/>.
/// </summary>
public sealed class RedisSentinelCluster : IAsyncDisposable
{
    public const string ServiceName = "tgw";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);

    private readonly ChildProcess _sentinel;
    private readonly string _directory;

    private RedisSentinelCluster(RedisServer master, RedisServer replica, string directory, int sentinelPort)
    {
        Master = master;
        Replica = replica;
        _directory = directory;
        SentinelPort = sentinelPort;
        _sentinel = new ChildProcess(this, logLines: 40, scratchDirectory: directory);
    }

    public RedisServer Master { get; }
    public RedisServer Replica { get; }
    public int SentinelPort { get; }

    /// <summary>What the gateway is given: the sentinel's endpoint and the service name.</summary>
    public string ConnectionString => $"127.0.0.1:{SentinelPort},serviceName={ServiceName},abortConnect=false";

    /// <summary>Starts the three processes; skips the test (fails it under CI=true) when redis-sentinel is missing.</summary>
    public static async Task<RedisSentinelCluster> StartOrSkipAsync()
    {
        var sentinel = ChildProcess.FindOnPath("redis-sentinel") ?? (File.Exists("/usr/bin/redis-sentinel") ? "/usr/bin/redis-sentinel" : null);
        if (sentinel is null)
        {
            ServerRequirement.SkipOrFail("redis-sentinel not found: apt-get install redis-sentinel");
        }

        var master = await RedisServer.StartOrSkipAsync();
        var replica = await RedisServer.StartOrSkipAsync("--replicaof", "127.0.0.1", master.Port.ToString(CultureInfo.InvariantCulture));
        var cluster = new RedisSentinelCluster(master, replica, Directory.CreateTempSubdirectory("tribuo-sentinel-").FullName, LoopbackPort.GetFree());
        try
        {
            await cluster.StartSentinelAsync(sentinel!);
            await WaitAsync(async () => (await cluster.SentinelAsync(s => s.SentinelReplicasAsync(ServiceName))).Length == 1, "the sentinel to see the replica");
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private Task StartSentinelAsync(string binary)
    {
        var config = Path.Combine(_directory, "sentinel.conf");
        File.WriteAllText(config, string.Join('\n',
            $"port {SentinelPort}",
            "bind 127.0.0.1",
            $"dir {_directory}",
            $"sentinel monitor {ServiceName} 127.0.0.1 {Master.Port} 1",
            $"sentinel down-after-milliseconds {ServiceName} 1000",
            $"sentinel failover-timeout {ServiceName} 5000",
            $"sentinel parallel-syncs {ServiceName} 1",
            ""));
        return _sentinel.StartAsync(
            ChildProcess.NewStartInfo(binary, _directory, [config]),
            what: binary,
            ready: async () =>
            {
                try
                {
                    await SentinelAsync(s => s.PingAsync());
                    return true;
                }
                catch (RedisException)
                {
                    return false;
                }
            },
            timeout: StartTimeout,
            pollInterval: TimeSpan.FromMilliseconds(100),
            exited: code => $"redis-sentinel exited with code {code} on 127.0.0.1:{SentinelPort}",
            timedOut: $"redis-sentinel did not answer on 127.0.0.1:{SentinelPort} within {StartTimeout.TotalSeconds:0} s");
    }

    /// <summary>The port of the server the sentinel currently names as master.</summary>
    public async Task<int?> MasterPortAsync() =>
        (await SentinelAsync(s => s.SentinelGetMasterAddressByNameAsync(ServiceName))) is IPEndPoint endpoint ? endpoint.Port : null;

    /// <summary>Waits until the replica has everything the master acknowledged (before killing the master).</summary>
    public Task WaitForReplicationAsync() => WaitAsync(async () =>
    {
        await using var master = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{Master.Port}");
        // WAIT returns how many replicas acknowledged every write made so far.
        return (long)await master.GetDatabase().ExecuteAsync("WAIT", 1, 1000) >= 1;
    }, "the replica to catch up");

    /// <summary>Kills the master and waits until the sentinel has promoted the replica.</summary>
    public async Task FailOverAsync()
    {
        await Master.StopAsync();
        await WaitAsync(async () => await MasterPortAsync() == Replica.Port, "the sentinel to promote the replica", TimeSpan.FromSeconds(60));
    }

    private async Task<T> SentinelAsync<T>(Func<IServer, Task<T>> ask)
    {
        var options = new ConfigurationOptions { EndPoints = { { "127.0.0.1", SentinelPort } }, CommandMap = CommandMap.Sentinel, TieBreaker = "", ConnectTimeout = 2000, AbortOnConnectFail = true };
        await using var sentinel = await ConnectionMultiplexer.ConnectAsync(options);
        return await ask(sentinel.GetServer("127.0.0.1", SentinelPort));
    }

    private static async Task WaitAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? StartTimeout);
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (RedisException) when (DateTime.UtcNow < deadline)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"gave up waiting for {what}");
            }

            await Task.Delay(200);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _sentinel.DisposeAsync();
        await Replica.DisposeAsync();
        await Master.DisposeAsync();
    }
}
