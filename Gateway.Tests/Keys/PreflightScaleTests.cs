using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Tribuo.Gateway.Keys;
using Tribuo.Gateway.Tests.Infrastructure;
using Xunit;

namespace Tribuo.Gateway.Tests.Keys;

/// <summary>
/// Issue 9 item 9: a CORS preflight, which anybody may send, costs a constant number of Redis commands
/// whatever the number of keys: counted by Redis itself (<c>INFO commandstats</c>) with 20,000 keys stored.
/// </summary>
public sealed class PreflightScaleTests(RedisFixture redis) : IClassFixture<RedisFixture>, IAsyncLifetime
{
    private const int KeyCount = 20_000;
    private const string Origin = "https://app.example";

    /// <summary>The index read (SMEMBERS) and, per site key of that origin, its id and record (GET, HGETALL), plus slack.</summary>
    private const int MaxCommandsPerPreflight = 12;

    private KeysTestBed _bed = null!;
    private GatewayApp _gateway = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _bed = await KeysTestBed.StartAsync(redis.RequireServer());
        _gateway = _bed.StartGateway();
        var store = _gateway.Services.GetRequiredService<IKeyStore>();
        var now = DateTimeOffset.UtcNow;
        for (var batch = 0; batch < KeyCount; batch += 500)
        {
            await Task.WhenAll(Enumerable.Range(batch, 500).Select(i => store.CreateAsync(new KeyRecord
            {
                Id = $"bulk-{i}",
                Name = "bulk",
                Sha256 = KeySecrets.HashHex($"tgw_bulk-secret-{i:D8}"),
                Scopes = ["docs:read"],
                Origins = i % 10 == 0 ? [$"https://site-{i}.example"] : i == 7 ? [Origin] : [],
                CreatedAt = now,
            }, Ct)));
        }
    }

    public ValueTask DisposeAsync() => _bed.DisposeAsync();

    [Fact]
    public async Task One_preflight_costs_a_constant_number_of_redis_commands_with_20000_keys()
    {
        await IndexReadyAsync();

        await ResetStatsAsync();
        Assert.Equal(HttpStatusCode.NoContent, await PreflightAsync(Origin));
        Assert.Equal(HttpStatusCode.Forbidden, await PreflightAsync("https://stranger.example"));
        var known = await CommandsAsync();

        // A key change forgets what was loaded; 40 concurrent preflights then share one load per origin.
        await _gateway.Services.GetRequiredService<KeyService>().RevokeAsync("bulk-10", "test", Ct);
        await ResetStatsAsync();
        var answers = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => PreflightAsync(Origin)));
        var concurrent = await CommandsAsync();

        Assert.True(concurrent.Total >= 1, "nothing was counted: the measurement itself is broken");
        Assert.True(known.Total <= MaxCommandsPerPreflight, $"two preflights cost {known.Total} commands: {known.Detail}");
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.NoContent, a));
        Assert.True(concurrent.Total <= MaxCommandsPerPreflight, $"40 concurrent preflights cost {concurrent.Total} commands: {concurrent.Detail}");
    }

    [Fact]
    public async Task A_site_key_change_is_reflected_in_the_next_preflight()
    {
        await IndexReadyAsync();

        await _gateway.Services.GetRequiredService<KeyService>().UpdateAsync("bulk-7", new KeyChanges(Origins: ["https://moved.example"]), "test", Ct);

        Assert.Equal(HttpStatusCode.Forbidden, await PreflightAsync(Origin));
        Assert.Equal(HttpStatusCode.NoContent, await PreflightAsync("https://moved.example"));

        await _gateway.Services.GetRequiredService<KeyService>().RevokeAsync("bulk-7", "test", Ct);
        Assert.Equal(HttpStatusCode.Forbidden, await PreflightAsync("https://moved.example"));
    }

    /// <summary>
    /// A Redis whose keys predate the origin index gets it built once (in the background of the first
    /// preflights, which are refused meanwhile); that one-time migration is not what is measured here.
    /// </summary>
    private async Task IndexReadyAsync()
    {
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (await PreflightAsync(Origin) != HttpStatusCode.NoContent)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(60), "the origin index was not built within 60 s");
            await Task.Delay(200, Ct);
        }
    }

    private async Task<HttpStatusCode> PreflightAsync(string origin)
    {
        using var client = _gateway.NewClient();
        using var request = new HttpRequestMessage(HttpMethod.Options, "/docs/x");
        request.Headers.TryAddWithoutValidation("Origin", origin);
        request.Headers.TryAddWithoutValidation("Access-Control-Request-Method", "GET");
        using var response = await client.SendAsync(request, Ct);
        return response.StatusCode;
    }

    private Task ResetStatsAsync() => RedisAsync("CONFIG RESETSTAT");

    /// <summary>Commands Redis executed since the reset, except the ones this test and the client's heartbeat send.</summary>
    private async Task<(int Total, string Detail)> CommandsAsync()
    {
        var ignored = new[] { "info", "config", "ping", "echo", "client", "cluster", "subscribe", "hello" };
        var stats = await RedisAsync("INFO commandstats");
        var counted = stats.Split('\n')
            .Where(line => line.StartsWith("cmdstat_", StringComparison.Ordinal))
            .Select(line => (Name: line[8..line.IndexOf(':')], Calls: int.Parse(line.Split("calls=")[1].Split(',')[0])))
            .Where(c => !ignored.Contains(c.Name.Split('|')[0]))
            .ToArray();
        return (counted.Sum(c => c.Calls), string.Join(' ', counted.Select(c => $"{c.Name}={c.Calls}")));
    }

    /// <summary>An inline command over a raw socket, so the count is not polluted by a client library's own traffic.</summary>
    private async Task<string> RedisAsync(string command)
    {
        var server = redis.RequireServer();
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port, Ct);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(command + "\r\n"), Ct);
        var buffer = new byte[64 * 1024];
        var text = new StringBuilder();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        do
        {
            var read = await stream.ReadAsync(buffer, timeout.Token);
            if (read == 0)
            {
                break;
            }

            text.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }
        while (!IsComplete(text.ToString()));

        return text.ToString();
    }

    /// <summary>A simple string (+OK) or a bulk string ($len\r\n...\r\n) read to its end.</summary>
    private static bool IsComplete(string reply)
    {
        if (!reply.StartsWith('$'))
        {
            return reply.EndsWith("\r\n", StringComparison.Ordinal);
        }

        var header = reply.IndexOf("\r\n", StringComparison.Ordinal);
        return header > 0 && Encoding.ASCII.GetByteCount(reply) >= header + 2 + int.Parse(reply[1..header]) + 2;
    }
}
