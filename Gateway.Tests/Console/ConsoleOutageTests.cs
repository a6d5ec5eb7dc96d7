using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Tribuo.Gateway.Users;
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

    /// <summary>
    /// An outside tester: with Redis hung (SIGSTOP), after a few 503 pages a user's page was a 500: the Redis client's
    /// InvalidOperationException ("Reading is not allowed after reader was completed") as it tore the connection down,
    /// or a TaskCanceledException the request had not asked for.
    /// </summary>
    [Fact]
    public async Task With_the_key_store_hung_a_users_page_is_always_the_503_page()
    {
        var server = redis.RequireServer();
        await using var gateway = GatewayApp.Start(RoutesJson.With("http://127.0.0.1:5001/", RoutesJson.Route("api", "/api/{**rest}", "key", "\"Scopes\": \"api\"")),
            new Dictionary<string, string?> { ["ConnectionStrings:Redis"] = server.ConnectionString });
        using var admin = await ConsoleHttpTests.SignedInAsync(gateway, "admin");
        var userPage = await UserPageAsync(gateway);
        using (var before = await admin.GetAsync(userPage, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        var statuses = new List<HttpStatusCode>();
        await server.PauseAsync();
        try
        {
            var hung = System.Diagnostics.Stopwatch.StartNew();
            while (hung.Elapsed < TimeSpan.FromSeconds(15))
            {
                using var response = await admin.GetAsync(userPage, Ct);
                statuses.Add(response.StatusCode);
            }
        }
        finally
        {
            await server.ResumeAsync();
        }

        var failures = gateway.Logs.Where(l => l.Contains("ExceptionHandlerMiddleware", StringComparison.Ordinal)).ToList();
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.ServiceUnavailable, s));
    }

    /// <summary>The console page of the signed-in admin (the gateway's only user).</summary>
    private static async Task<string> UserPageAsync(GatewayApp gateway)
    {
        var user = (await gateway.Services.GetRequiredService<IUserStore>().ListPageAsync("admin@acme.fr", null, 1, Ct)).Single();
        return $"/gateway/console/users/{Uri.EscapeDataString(user.Id)}";
    }
}
