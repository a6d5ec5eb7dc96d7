using System.Net;
using System.Text.Json;
using Tribuo.Gateway.Tests.Infrastructure;
using Xunit;

namespace Tribuo.Gateway.Tests.Operations;

public sealed class ReadinessTests(RedisFixture redis, PostgresFixture postgres) : IClassFixture<RedisFixture>, IClassFixture<PostgresFixture>
{
    private const string Routes = """{ "Routes": {}, "Clusters": {} }""";

    [Fact]
    public async Task Ready_on_embedded_defaults()
    {
        await using var gateway = GatewayApp.Start(Routes);
        await gateway.KeysFileImportedAsync();
        var (status, body) = await ReadyAsync(gateway);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("embedded", body.GetProperty("stores")[0].GetProperty("name").GetString());
    }

    [Fact]
    public async Task Redis_and_PostgreSQL_are_checked_and_an_outage_makes_the_gateway_unready_without_crashing()
    {
        var server = redis.RequireServer();
        await using var gateway = GatewayApp.Start(Routes, new Dictionary<string, string?>
        {
            ["ConnectionStrings:Redis"] = server.ConnectionString,
            ["ConnectionStrings:Postgres"] = postgres.RequireServer(),
        });
        await gateway.KeysFileImportedAsync();

        var (status, body) = await ReadyAsync(gateway);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["redis", "postgres"], body.GetProperty("stores").EnumerateArray().Select(s => s.GetProperty("name").GetString()));

        await server.StopAsync();
        try
        {
            (status, body) = await ReadyAsync(gateway);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            Assert.Contains("redis", body.GetProperty("stores")[0].GetProperty("problem").GetString());
            Assert.Equal(HttpStatusCode.OK, (await gateway.NewClient().GetAsync("/healthz", TestContext.Current.CancellationToken)).StatusCode);

            // Once the connection is known to be down, the answer comes at once, within the 1 s a Kubernetes probe waits
            // by default (an outside probe: every unready answer took the check's whole 2 s bound).
            var watch = System.Diagnostics.Stopwatch.StartNew();
            (status, _) = await ReadyAsync(gateway);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1), $"an unready /readyz took {watch.Elapsed.TotalSeconds:0.0} s");
            Assert.DoesNotContain(gateway.Logs, l => l.Contains("HealthChecks", StringComparison.Ordinal));
        }
        finally
        {
            await server.StartAsync();
        }

        var deadline = DateTime.UtcNow.AddSeconds(15);
        do
        {
            (status, _) = await ReadyAsync(gateway);
        }
        while (status != HttpStatusCode.OK && DateTime.UtcNow < deadline && await Delay());
        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Fact]
    public async Task An_unreachable_PostgreSQL_at_start_is_unready_not_a_crash()
    {
        await using var gateway = GatewayApp.Start(Routes, new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = "Host=127.0.0.1;Port=9;Username=x;Password=secret-pw;Timeout=1",
        });

        var (status, body) = await ReadyAsync(gateway);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.DoesNotContain("secret-pw", body.ToString());
        Assert.DoesNotContain(gateway.Logs, line => line.Contains("secret-pw"));
    }

    [Fact]
    public async Task The_gateway_is_unready_until_its_keys_file_is_imported()
    {
        var server = redis.RequireServer();
        var directory = Directory.CreateTempSubdirectory("tgw-ready-").FullName;
        var keysFile = Path.Combine(directory, "keys.json");
        var id = "ready-" + Guid.NewGuid().ToString("N")[..8];
        var secret = $"tgw_{id}-0123456789abcdef";
        File.WriteAllText(keysFile, $$"""{ "Keys": [ { "Id": "{{id}}", "Name": "Seeded", "Secret": "{{secret}}", "Scopes": ["a"] } ] }""");
        const string KeyRoute = """
            { "Routes": { "a": { "ClusterId": "c", "Match": { "Path": "/a/{**rest}" }, "Metadata": { "Auth": "key", "Scopes": "a" } } },
              "Clusters": { "c": { "Destinations": { "d": { "Address": "http://127.0.0.1:9/" } } } } }
            """;

        // Writes wait while PING still answers: the store is reachable, and the import cannot end until the test
        // unpauses. (A 3 s pause ran out while a cold test process was still starting its first gateway: run alone,
        // the test found the keys file imported already.)
        Assert.StartsWith("+OK", await server.CommandAsync("CLIENT PAUSE 60000 WRITE"));
        await using var gateway = GatewayApp.Start(KeyRoute, new Dictionary<string, string?>
        {
            ["ConnectionStrings:Redis"] = server.ConnectionString,
            ["Gateway:KeysFile"] = keysFile,
        });
        try
        {
            var (status, body) = await ReadyAsync(gateway);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            Assert.Equal("the keys file is not imported yet", body.GetProperty("keysFile").GetString());
            Assert.StartsWith("+OK", await server.CommandAsync("CLIENT UNPAUSE"));

            var deadline = DateTime.UtcNow.AddSeconds(20);
            do
            {
                (status, body) = await ReadyAsync(gateway);
            }
            while (status != HttpStatusCode.OK && DateTime.UtcNow < deadline && await Delay());
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.False(body.TryGetProperty("keysFile", out _), body.ToString());

            // Ready means the seeded key answers: the upstream is closed, so a 502 (not a 401) is the key accepted.
            using var request = new HttpRequestMessage(HttpMethod.Get, "/a/x");
            request.Headers.TryAddWithoutValidation("Authorization", "KEY " + secret);
            using var response = await gateway.NewClient().SendAsync(request, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        }
        finally
        {
            await server.CommandAsync("CLIENT UNPAUSE");
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<bool> Delay()
    {
        await Task.Delay(200);
        return true;
    }

    private static async Task<(HttpStatusCode, JsonElement)> ReadyAsync(GatewayApp gateway)
    {
        using var response = await gateway.NewClient().GetAsync("/readyz");
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }
}
