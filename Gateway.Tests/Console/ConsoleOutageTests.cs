using System.Net;
using Tribuo.Gateway.Tests.Infrastructure;
using Xunit;

namespace Tribuo.Gateway.Tests.OperatorsConsole;

/// <summary>The console while the key store is down: a page that says so (503), never a 500; and back when it returns.</summary>
public sealed class ConsoleOutageTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task With_the_key_store_down_the_keys_page_says_so_and_comes_back_with_it()
    {
        var server = redis.RequireServer();
        await using var gateway = GatewayApp.Start(RoutesJson.With("http://127.0.0.1:5001/", RoutesJson.Route("api", "/api/{**rest}", "key", "\"Scopes\": \"api\"")),
            new Dictionary<string, string?> { ["ConnectionStrings:Redis"] = server.ConnectionString });
        using var admin = await ConsoleHttpTests.SignedInAsync(gateway, "admin");
        using (var before = await admin.GetAsync("/gateway/console/keys", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        await server.StopAsync();
        try
        {
            using var down = await admin.GetAsync("/gateway/console/keys", Ct);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
            Assert.Contains("did not answer", await down.Content.ReadAsStringAsync(Ct));
        }
        finally
        {
            await server.StartAsync();
        }

        async Task<HttpStatusCode> KeysPageAsync()
        {
            using var response = await admin.GetAsync("/gateway/console/keys", Ct);
            return response.StatusCode;
        }

        var deadline = DateTime.UtcNow.AddSeconds(30);
        HttpStatusCode status;
        while ((status = await KeysPageAsync()) != HttpStatusCode.OK && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200, Ct);
        }

        Assert.Equal(HttpStatusCode.OK, status);
    }
}
