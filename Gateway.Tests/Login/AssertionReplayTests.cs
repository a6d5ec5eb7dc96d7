using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Tribuo.Gateway.Tests.Infrastructure;
using Tribuo.Gateway.Tokens;
using Tribuo.Gateway.Users;
using Xunit;

namespace Tribuo.Gateway.Tests.Login;

/// <summary>
/// Item 5 of issue 8: an <c>X-Tribuo-Assertion</c> an upstream received is never a login, even when the
/// upstream's cluster id equals the user tokens' audience (here both are <c>tribuo</c>).
/// </summary>
public sealed class AssertionReplayTests : IAsyncLifetime
{
    private const string KeySecret = "tgw_assertion-replay-test-key-0123456789abcdef";

    private GatewayApp _gateway = null!;
    private EchoUpstream _upstream = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _upstream = await EchoUpstream.StartAsync();
        var keys = Path.GetTempFileName();
        await File.WriteAllTextAsync(keys, $$"""{ "Keys": [ { "Id": "caller", "Name": "Caller", "Secret": "{{KeySecret}}", "Scopes": ["api"] } ] }""", Ct);
        _gateway = GatewayApp.Start($$"""
            {
              "Routes": {
                "api":  { "ClusterId": "tribuo", "Match": { "Path": "/api/{**rest}" },  "Metadata": { "Auth": "any", "Scopes": "api" } },
                "docs": { "ClusterId": "tribuo", "Match": { "Path": "/docs/{**rest}" }, "Metadata": { "Auth": "user" } }
              },
              "Clusters": { "tribuo": { "Destinations": { "a": { "Address": "{{_upstream.Address}}" } } } }
            }
            """, new Dictionary<string, string?> { ["Gateway:KeysFile"] = keys, ["Gateway:Login:AllowedOrigins:0"] = "https://docs.tribuo.cloud" });
    }

    public async ValueTask DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    private async Task<string> AssertionForAsync(string path, string authorization)
    {
        using var client = _gateway.NewClient();
        _upstream.ClearReceived();
        // The keys file is imported in the background at start: wait for it rather than race it.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        var status = await SendAsync(client, path, authorization);
        while (status == HttpStatusCode.Unauthorized && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200, Ct);
            status = await SendAsync(client, path, authorization);
        }

        Assert.Equal(HttpStatusCode.OK, status);
        var assertion = _upstream.Received.Last().Header("X-Tribuo-Assertion")!;
        Assert.Equal("tribuo", LoginBed.Payload(assertion).GetProperty("aud").GetString());
        Assert.Equal("tribuo-assertion+jwt", JsonDocument.Parse(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Decode(assertion.Split('.')[0])).RootElement.GetProperty("typ").GetString());
        return assertion;
    }

    private static async Task<HttpStatusCode> SendAsync(HttpClient client, string path, string authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("Authorization", authorization);
        using var response = await client.SendAsync(request, Ct);
        return response.StatusCode;
    }

    [Fact]
    public async Task Neither_a_key_callers_nor_a_users_assertion_passes_as_a_user_token()
    {
        var user = (await _gateway.Services.GetRequiredService<IUserStore>().CreateAsync(
            new ExternalLogin { Provider = "test", Subject = "ann", Email = "ann@acme.fr", Name = "Ann" }, "100000000000000001", null, Ct))!;
        var userToken = _gateway.Services.GetRequiredService<TokenService>().Issue(user);
        var assertions = new[]
        {
            await AssertionForAsync("/api/x", "KEY " + KeySecret),
            await AssertionForAsync("/docs/x", "Bearer " + userToken),
        };

        using var client = _gateway.NewClient();
        foreach (var assertion in assertions)
        {
            using (var check = await client.GetAsync($"/auth/check-token/{assertion}", Ct))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, check.StatusCode);
            }

            using (var posted = await client.PostAsync("/auth/check-token", new StringContent(JsonSerializer.Serialize(new { token = assertion }), Encoding.UTF8, "application/json"), Ct))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, posted.StatusCode);
            }

            foreach (var path in new[] { "/docs/x", "/api/x" })
            {
                using var bearer = new HttpRequestMessage(HttpMethod.Get, path);
                bearer.Headers.TryAddWithoutValidation("Authorization", "Bearer " + assertion);
                using var asBearer = await client.SendAsync(bearer, Ct);
                Assert.Equal(HttpStatusCode.Unauthorized, asBearer.StatusCode);

                using var cookie = new HttpRequestMessage(HttpMethod.Get, path);
                cookie.Headers.TryAddWithoutValidation("Cookie", "tribuo_cloud_token=" + assertion);
                using var asCookie = await client.SendAsync(cookie, Ct);
                Assert.Equal(HttpStatusCode.Unauthorized, asCookie.StatusCode);
            }
        }

        // The user's own token still works: only assertions are refused.
        using var own = new HttpRequestMessage(HttpMethod.Get, "/docs/x");
        own.Headers.TryAddWithoutValidation("Authorization", "Bearer " + userToken);
        using var ownResponse = await client.SendAsync(own, Ct);
        Assert.Equal(HttpStatusCode.OK, ownResponse.StatusCode);
    }
}
