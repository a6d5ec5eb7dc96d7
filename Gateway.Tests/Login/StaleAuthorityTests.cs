using System.Net;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Tribuo.Gateway.Tests.Infrastructure;
using Tribuo.Gateway.Tokens;
using Tribuo.Gateway.Users;
using Xunit;

namespace Tribuo.Gateway.Tests.Login;

/// <summary>
/// Item 9 of issue 8: a role change, a company change and a deletion reach Bearer and cookie users on every
/// route within 30 seconds, whatever their 14-day token still says.
/// </summary>
public sealed class StaleAuthorityTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Role_company_and_deletion_apply_within_30_seconds_whatever_the_token_says()
    {
        await using var upstream = await EchoUpstream.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        var database = await postgres.CreateExtraDatabaseAsync();
        await using var gateway = GatewayApp.Start(RoutesJson.With(upstream.Address,
            RoutesJson.Route("admins", "/admins/{**rest}", "user", "\"Roles\": \"admin\""),
            RoutesJson.Route("acme", "/acme/{**rest}", "user", "\"Companies\": \"acme\"")),
            new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = database });
        var store = gateway.Services.GetRequiredService<IUserStore>();
        var tokens = gateway.Services.GetRequiredService<TokenService>();
        var promoted = (await store.CreateAsync(new ExternalLogin { Provider = "test", Subject = "p", Email = "pro@acme.fr", Company = "acme" }, "200000000000000001", null, Ct))!;
        var deleted = (await store.CreateAsync(new ExternalLogin { Provider = "test", Subject = "d", Email = "del@acme.fr", Company = "acme" }, "200000000000000002", null, Ct))!;
        var promotedToken = tokens.Issue(promoted);
        var deletedToken = tokens.Issue(deleted);

        async Task<HttpStatusCode> StatusAsync(string path, string token, bool cookie)
        {
            using var client = gateway.NewClient();
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.TryAddWithoutValidation(cookie ? "Cookie" : "Authorization", cookie ? $"tribuo_cloud_token={token}" : $"Bearer {token}");
            using var response = await client.SendAsync(request, Ct);
            return response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync("/admins/x", promotedToken, cookie: false));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync("/acme/x", deletedToken, cookie: true));

        await using (var db = new NpgsqlConnection(database))
        {
            await db.ExecuteAsync("UPDATE users SET role = 'admin', company = 'other' WHERE id = @Id", new { promoted.Id });
            await db.ExecuteAsync("DELETE FROM users WHERE id = @Id", new { deleted.Id });
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline
            && (await StatusAsync("/admins/x", promotedToken, cookie: false) != HttpStatusCode.OK
                || await StatusAsync("/acme/x", deletedToken, cookie: true) != HttpStatusCode.Unauthorized))
        {
            await Task.Delay(500, Ct);
        }

        foreach (var cookie in new[] { false, true })
        {
            Assert.Equal(HttpStatusCode.OK, await StatusAsync("/admins/x", promotedToken, cookie));
            Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync("/acme/x", promotedToken, cookie));
            Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync("/acme/x", deletedToken, cookie));
            Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync("/admins/x", deletedToken, cookie));
        }

        Assert.Equal("admin", upstream.Received.Last(r => r.Header("X-Tribuo-User-Role") is not null).Header("X-Tribuo-User-Role"));
    }
}
