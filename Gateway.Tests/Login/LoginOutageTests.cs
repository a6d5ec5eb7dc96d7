using System.Net;
using Tribuo.Gateway.Tests.Infrastructure;
using Xunit;

namespace Tribuo.Gateway.Tests.Login;

/// <summary>
/// Item 11 of issue 8: when the users' store cannot be reached, a provider login and the password login
/// answer a 503 page saying the login service is unavailable, never a 500 nor a misleading message.
/// </summary>
public sealed class LoginOutageTests : IAsyncLifetime
{
    private const string UnreachablePostgres = "Host=127.0.0.1;Port=1;Username=tribuo;Password=unused;Database=tribuo;Timeout=2";

    private ZohoStandIn _zoho = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _zoho = await ZohoStandIn.StartAsync(Ct);

    public async ValueTask DisposeAsync() => await _zoho.DisposeAsync();

    private GatewayApp Start()
    {
        var settings = _zoho.GatewaySettings();
        settings["ConnectionStrings:Postgres"] = UnreachablePostgres;
        settings["Gateway:Login:AllowedOrigins:0"] = "https://docs.tribuo.cloud";
        settings["Gateway:Login:LegacyPasswords"] = "true";
        return GatewayApp.Start("""{ "Routes": {}, "Clusters": {} }""", settings);
    }

    [Fact]
    public async Task Starting_a_provider_login_answers_503_when_the_users_store_is_down()
    {
        // The login's state is protected with the data-protection keys, which live in the users' database.
        await using var gateway = Start();
        using var browser = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() }) { BaseAddress = gateway.BaseAddress };

        using var start = await browser.GetAsync("/auth/login-zoho?origin=docs.tribuo.cloud", Ct);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, start.StatusCode);
        Assert.Contains("login service is unavailable", await start.Content.ReadAsStringAsync(Ct));
        Assert.Null(start.Headers.Location);
    }

    [Fact]
    public async Task The_password_login_answers_503_when_the_users_store_is_down()
    {
        await using var gateway = Start();
        using var client = gateway.NewClient();

        using var response = await client.PostAsync("/auth/login-password", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["origin"] = "https://docs.tribuo.cloud", ["email"] = "someone@acme.fr", ["password"] = "x",
        }), Ct);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("login service is unavailable", await response.Content.ReadAsStringAsync(Ct));
    }
}
