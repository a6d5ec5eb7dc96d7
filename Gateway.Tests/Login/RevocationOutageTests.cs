using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Tribuo.Gateway.Tests.Infrastructure;
using Tribuo.Gateway.Tokens;
using Tribuo.Gateway.Users;
using Xunit;

namespace Tribuo.Gateway.Tests.Login;

/// <summary>
/// Item 4 of issue 8: an instance that starts while Redis is down must not accept logged-out tokens; it
/// answers 503 until it has read the revocation list, and reads it as soon as Redis is back. A logout while
/// Redis is down is a 503, not a revocation only that process knows of.
/// </summary>
public sealed class RevocationOutageTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<HttpStatusCode> StatusAsync(GatewayApp gateway, string path, string? bearer)
    {
        using var client = gateway.NewClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (bearer is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + bearer);
        }

        using var response = await client.SendAsync(request, Ct);
        return response.StatusCode;
    }

    private static async Task<HttpStatusCode> LogoutAsync(GatewayApp gateway, string token)
    {
        using var client = gateway.NewClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/auth/logout");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        using var response = await client.SendAsync(request, Ct);
        return response.StatusCode;
    }

    [Fact]
    public async Task An_instance_started_while_Redis_is_down_refuses_with_503_then_loads_the_list_when_Redis_returns()
    {
        await using var redis = await RedisServer.StartNewAsync();
        await using var upstream = await EchoUpstream.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Redis"] = redis.ConnectionString,
            ["ConnectionStrings:Postgres"] = await postgres.CreateExtraDatabaseAsync(),
            ["Gateway:Tokens:Issuer"] = "https://login.tribuo.cloud",
        };
        var routes = RoutesJson.With(upstream.Address, RoutesJson.Route("docs", "/docs/{**rest}", "user"));

        string revokedToken, otherToken;
        await using (var first = GatewayApp.Start(routes, settings))
        {
            var user = (await first.Services.GetRequiredService<IUserStore>().CreateAsync(
                new ExternalLogin { Provider = "test", Subject = "bob", Email = "bob@acme.fr", Name = "Bob" }, "100000000000000002", null, Ct))!;
            var tokens = first.Services.GetRequiredService<TokenService>();
            revokedToken = tokens.Issue(user);
            otherToken = tokens.Issue(user);
            Assert.Equal(HttpStatusCode.NoContent, await LogoutAsync(first, revokedToken));
        }

        await redis.SaveAsync();
        await redis.StopAsync();
        await using var second = GatewayApp.Start(routes, settings);
        foreach (var token in new[] { revokedToken, otherToken })
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, await StatusAsync(second, $"/auth/check-token/{token}", null));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, await StatusAsync(second, "/docs/x", token));
        }

        Assert.Equal(HttpStatusCode.ServiceUnavailable, await LogoutAsync(second, otherToken));

        await redis.StartAsync();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (await StatusAsync(second, $"/auth/check-token/{revokedToken}", null) == HttpStatusCode.ServiceUnavailable && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200, Ct);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(second, $"/auth/check-token/{revokedToken}", null));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(second, "/docs/x", revokedToken));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(second, $"/auth/check-token/{otherToken}", null));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(second, "/docs/x", otherToken));
        Assert.Equal(HttpStatusCode.NoContent, await LogoutAsync(second, otherToken));
    }
    /// <summary>
    /// An outside review: a logout during a Redis stall answered 503, the write reached Redis once it woke up, but no
    /// instance was told, and the others accepted the token for the rest of its 14 days. Now the failed logout is
    /// written and announced again once the store answers, and every instance reloads the list periodically anyway.
    /// </summary>
    [Fact]
    public async Task A_logout_answered_503_during_a_stall_still_reaches_every_instance_once_Redis_answers()
    {
        await using var redis = await RedisServer.StartNewAsync();
        await using var upstream = await EchoUpstream.StartAsync(cancellationToken: Ct);
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Redis"] = redis.ConnectionString,
            ["ConnectionStrings:Postgres"] = await postgres.CreateExtraDatabaseAsync(),
            ["Gateway:Tokens:Issuer"] = "https://login.tribuo.cloud",
        };
        var routes = RoutesJson.With(upstream.Address, RoutesJson.Route("docs", "/docs/{**rest}", "user"));
        await using var a = GatewayApp.Start(routes, settings);
        await using var b = GatewayApp.Start(routes, settings);
        var user = (await a.Services.GetRequiredService<IUserStore>().CreateAsync(
            new ExternalLogin { Provider = "test", Subject = "carol", Email = "carol@acme.fr", Name = "Carol" }, "100000000000000003", null, Ct))!;
        var token = a.Services.GetRequiredService<TokenService>().Issue(user);
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(b, $"/auth/check-token/{token}", null));

        await redis.PauseAsync();
        HttpStatusCode answer;
        try
        {
            answer = await LogoutAsync(a, token);
        }
        finally
        {
            await redis.ResumeAsync();
        }

        Assert.Equal(HttpStatusCode.ServiceUnavailable, answer);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (await StatusAsync(b, $"/auth/check-token/{token}", null) != HttpStatusCode.Unauthorized && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100, Ct);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(b, $"/auth/check-token/{token}", null));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(a, $"/auth/check-token/{token}", null));
    }
}
