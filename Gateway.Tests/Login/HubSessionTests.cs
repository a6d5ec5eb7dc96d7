using System.Net;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Tribuo.Gateway.Tests.Infrastructure;
using Tribuo.Gateway.Tokens;
using Tribuo.Gateway.Users;
using Xunit;

namespace Tribuo.Gateway.Tests.Login;

/// <summary>
/// The hub's own session (single sign-on and logout, DESIGN §5 and §6) against hostile cookies and login links:
/// two <c>tribuo_cloud_token</c> cookies are never resolved by order, and an origin's own <c>token</c> or hand-off
/// parameters never come before the gateway's. The gateway runs on the embedded store; users and tokens are
/// made through its services.
/// </summary>
public sealed class HubSessionTests : IAsyncLifetime
{
    private const string HandoffOrigin = "https://datapass.tribuo.cloud";
    private GatewayApp _gateway = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        _gateway = GatewayApp.Start(RoutesJson.With("http://127.0.0.1:9", RoutesJson.Route("docs", "/docs/{**rest}", "user")), new Dictionary<string, string?>
        {
            ["Gateway:Login:AllowedOrigins:0"] = "https://docs.tribuo.cloud",
            ["Gateway:Login:AllowedOrigins:1"] = HandoffOrigin,
            ["Gateway:Login:QueryHandoffOrigins:0"] = HandoffOrigin,
        });
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => _gateway.DisposeAsync();

    [Fact]
    public async Task Two_session_cookies_at_the_login_page_are_no_session()
    {
        var (a, b) = (await TokenForAsync("two-a@acme.fr"), await TokenForAsync("two-b@acme.fr"));
        using var client = _gateway.NewClient();

        using var one = await LoginPageAsync(client, $"tribuo_cloud_token={a}");
        using var two = await LoginPageAsync(client, $"tribuo_cloud_token={a}; tribuo_cloud_token={b}");
        using var twoHeaders = await LoginPageAsync(client, $"tribuo_cloud_token={a}", $"tribuo_cloud_token={b}");

        Assert.Equal(HttpStatusCode.Redirect, one.StatusCode);
        foreach (var response in new[] { two, twoHeaders })
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Null(response.Headers.Location);
            var page = await response.Content.ReadAsStringAsync(Ct);
            Assert.DoesNotContain("two-a@acme.fr", page);
            Assert.DoesNotContain("two-b@acme.fr", page);
        }
    }

    [Fact]
    public async Task A_logout_with_two_session_cookies_is_refused_and_revokes_neither()
    {
        var (a, b) = (await TokenForAsync("out-a@acme.fr"), await TokenForAsync("out-b@acme.fr"));
        using var client = _gateway.NewClient();
        using var logout = new HttpRequestMessage(HttpMethod.Post, "/auth/logout");
        logout.Headers.TryAddWithoutValidation("Cookie", $"tribuo_cloud_token={a}; tribuo_cloud_token={b}");
        logout.Headers.TryAddWithoutValidation("Sec-Fetch-Site", "same-origin");

        using var response = await client.SendAsync(logout, Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.False(response.Headers.Contains("Set-Cookie"));
        foreach (var token in new[] { a, b })
        {
            using var check = await client.GetAsync($"/auth/check-token/{token}", Ct);
            Assert.Equal(HttpStatusCode.OK, check.StatusCode);
        }
    }

    [Theory]
    [InlineData("token=ATTACKER")]
    [InlineData("TOKEN=ATTACKER")]
    [InlineData("%74oken=ATTACKER")]
    [InlineData("to%6Ben=ATTACKER&a=1")]
    [InlineData("a=1&token=ATTACKER&token=AGAIN&b=2")]
    [InlineData("x=1;token=ATTACKER")] // an outside probe: a site splitting on ';' read the attacker's token first
    public async Task An_origins_own_token_parameter_is_replaced_by_the_gateways(string query)
    {
        var token = await TokenForAsync("origin@acme.fr");
        using var client = _gateway.NewClient();

        using var response = await LoginPageAsync(client, $"tribuo_cloud_token={token}", origin: $"https://docs.tribuo.cloud/page?{query}");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var sent = QueryHelpers.ParseQuery(response.Headers.Location!.Query);
        var tokens = sent.Where(p => Uri.UnescapeDataString(p.Key).Equals("token", StringComparison.OrdinalIgnoreCase)).SelectMany(p => p.Value).ToArray();
        Assert.Equal(token, Assert.Single(tokens));
        Assert.DoesNotContain("ATTACKER", response.Headers.Location.ToString());
        Assert.Equal(query.Contains("a=1"), sent.ContainsKey("a"));
    }

    [Fact]
    public async Task A_hand_off_origins_own_hand_off_parameters_are_replaced_by_the_gateways()
    {
        var token = await TokenForAsync("handoff@acme.fr");
        using var client = _gateway.NewClient();

        using var response = await LoginPageAsync(client, $"tribuo_cloud_token={token}",
            origin: $"{HandoffOrigin}/?api_token=ATTACKERKEY&Role=admin&email=mallory%40evil.com&organization_siret=1&token=X&keep=1");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var sent = QueryHelpers.ParseQuery(response.Headers.Location!.Query);
        Assert.Equal("handoff@acme.fr", sent["email"].Single());
        Assert.Equal("default", Assert.Single(sent, p => p.Key.Equals("role", StringComparison.OrdinalIgnoreCase)).Value.Single());
        Assert.NotEqual("ATTACKERKEY", sent["api_token"].Single());
        Assert.Equal("", sent["organization_siret"].Single());
        Assert.False(sent.ContainsKey("token"));
        Assert.Equal("1", sent["keep"].Single());
    }

    private async Task<string> TokenForAsync(string email)
    {
        var users = _gateway.Services.GetRequiredService<IUserStore>();
        var user = await users.CreateAsync(new ExternalLogin { Provider = "test", Subject = email, Email = email, Name = email }, Random.Shared.NextInt64(100_000_000_000_000_000, 999_999_999_999_999_999).ToString(), null, Ct);
        return _gateway.Services.GetRequiredService<TokenService>().Issue(user!);
    }

    private static async Task<HttpResponseMessage> LoginPageAsync(HttpClient client, string cookie, string? secondCookieHeader = null, string origin = "docs.tribuo.cloud")
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/login?origin={Uri.EscapeDataString(origin)}");
        request.Headers.TryAddWithoutValidation("Cookie", cookie);
        if (secondCookieHeader is not null)
        {
            request.Headers.TryAddWithoutValidation("Cookie", secondCookieHeader);
        }

        return await client.SendAsync(request, Ct);
    }
}
