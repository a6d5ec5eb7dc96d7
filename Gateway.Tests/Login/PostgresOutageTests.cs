using System.Net;
using Tribuo.Gateway.Tests.Infrastructure;
using Xunit;

namespace Tribuo.Gateway.Tests.Login;

/// <summary>
/// Item 10 of issue 8 (DESIGN §8, "each store degrades only what needs it"): an instance that cannot reach
/// PostgreSQL at start still serves key-authenticated routes, whose keys are in Redis, and signs the
/// upstream's assertion with the gateway's own key.
/// </summary>
public sealed class PostgresOutageTests(RedisFixture redis, PostgresFixture postgres) : IClassFixture<RedisFixture>, IClassFixture<PostgresFixture>
{
    private const string KeySecret = "tgw_postgres-outage-test-key-0123456789abcdef";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_instance_started_without_PostgreSQL_serves_KEY_routes_with_the_shared_signing_key()
    {
        await using var upstream = await EchoUpstream.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        var keys = Path.GetTempFileName();
        await File.WriteAllTextAsync(keys, $$"""{ "Keys": [ { "Id": "pg-outage", "Name": "PG outage", "Secret": "{{KeySecret}}", "Scopes": ["api"] } ] }""", Ct);
        var routes = RoutesJson.With(upstream.Address, RoutesJson.Route("api", "/api/{**rest}", "key", "\"Scopes\": \"api\""));
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Redis"] = redis.RequireServer().ConnectionString,
            ["ConnectionStrings:Postgres"] = await postgres.CreateExtraDatabaseAsync(),
            ["Gateway:KeysFile"] = keys,
            ["Gateway:Tokens:Issuer"] = "https://login.tribuo.cloud",
        };
        await using var healthy = GatewayApp.Start(routes, settings);
        Assert.Equal(HttpStatusCode.OK, await PollAsync(healthy));

        settings["ConnectionStrings:Postgres"] = "Host=127.0.0.1;Port=1;Username=tribuo;Password=unused;Database=tribuo;Timeout=2";
        await using var cut = GatewayApp.Start(routes, settings);

        Assert.Equal(HttpStatusCode.OK, await PollAsync(cut));
        var assertion = upstream.Received.Last().Header("X-Tribuo-Assertion")!;
        await LoginBed.VerifyWithJwksAsync(healthy, assertion, audience: "up");
    }

    /// <summary>Calls until 200 or 60 s: the keys file is imported and the signing keys loaded in the background.</summary>
    private static async Task<HttpStatusCode> PollAsync(GatewayApp gateway)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        var status = await CallAsync(gateway);
        while (status != HttpStatusCode.OK && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250, Ct);
            status = await CallAsync(gateway);
        }

        return status;
    }

    private static async Task<HttpStatusCode> CallAsync(GatewayApp gateway)
    {
        using var client = gateway.NewClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/x");
        request.Headers.TryAddWithoutValidation("Authorization", "KEY " + KeySecret);
        using var response = await client.SendAsync(request, Ct);
        return response.StatusCode;
    }
}
