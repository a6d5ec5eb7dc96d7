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
