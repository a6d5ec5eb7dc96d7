using System.Net;
using Tribuo.Gateway.Tests.Infrastructure;
using Xunit;

namespace Tribuo.Gateway.Tests.Login;

/// <summary>
/// The Zoho provider on the maintained OpenID Connect handler, against a stand-in that serves discovery, a
/// JWKS and signed id_tokens like Zoho Accounts: the real gateway, the real round trip over HTTP.
/// </summary>
public sealed class ZohoLoginTests : IAsyncLifetime
{
    private ZohoStandIn _zoho = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _zoho = await ZohoStandIn.StartAsync(Ct);

    public async ValueTask DisposeAsync() => await _zoho.DisposeAsync();

    private GatewayApp StartGateway()
    {
        var settings = _zoho.GatewaySettings();
        settings["Gateway:Login:AllowedOrigins:0"] = "https://docs.tribuo.cloud";
        return GatewayApp.Start("""{ "Routes": {}, "Clusters": {} }""", settings);
    }

    private static Task<Uri> LoginAsync(GatewayApp gateway) => LoginAsync(gateway.BaseAddress);

    /// <summary>Walks the login at the gateway at <paramref name="baseAddress"/>; returns where it finally sends the browser.</summary>
    internal static async Task<Uri> LoginAsync(Uri baseAddress)
    {
        using var browser = LoginBed.NewBrowser(baseAddress);
        using var start = await browser.GetAsync("/auth/login-zoho?origin=docs.tribuo.cloud", Ct);
        Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);
        using var atZoho = await browser.GetAsync(start.Headers.Location, Ct);
        var callback = atZoho.Headers.Location!;
        Assert.Equal("/auth/new-token/zoho", callback.AbsolutePath);
        using var done = await browser.GetAsync(callback, Ct);
        Assert.Equal(HttpStatusCode.Redirect, done.StatusCode);
        return done.Headers.Location!;
    }

    [Fact]
    public async Task A_Zoho_login_gives_the_token_the_sites_know()
    {
        await using var gateway = StartGateway();

        var redirect = await LoginAsync(gateway);

        Assert.True(redirect.ToString().StartsWith("https://docs.tribuo.cloud/?token=", StringComparison.Ordinal),
            redirect + Environment.NewLine + string.Join(Environment.NewLine, gateway.Logs.Where(l => l.Contains("login", StringComparison.OrdinalIgnoreCase))));
        var claims = LoginBed.Payload(LoginBed.TokenFrom(redirect));
        Assert.Equal("20078284501", claims.GetProperty("id").GetString());
        Assert.Equal("Elliot Thiebaut", claims.GetProperty("name").GetString());
        Assert.Equal("elliot.thiebaut@tribuo.fr", claims.GetProperty("email").GetString());
        Assert.Equal("tribuo", claims.GetProperty("company").GetString());
        Assert.Equal("default", claims.GetProperty("role").GetString());
        Assert.Equal($"https://127.0.0.1/file?t=user&ID=20078284501&fs=thumb", claims.GetProperty("img_url").GetString());
        // Zoho's discovery lists client_secret_post only; PKCE is on.
        Assert.Equal(ZohoStandIn.ClientSecret, _zoho.LastTokenRequestSecret);
        Assert.False(string.IsNullOrEmpty(_zoho.LastCodeVerifier));
    }

    [Fact]
    public async Task An_id_token_without_iat_is_refused()
    {
        await using var gateway = StartGateway();
        _zoho.OmitIssuedAt = true;

        var redirect = await LoginAsync(gateway);

        Assert.DoesNotContain("token=", redirect.ToString());
        Assert.Contains("error=provider", redirect.ToString());
    }

    [Fact]
    public async Task An_id_token_with_another_nonce_is_refused()
    {
        await using var gateway = StartGateway();
        _zoho.WrongNonce = true;

        var redirect = await LoginAsync(gateway);

        Assert.DoesNotContain("token=", redirect.ToString());
        Assert.Contains("error=provider", redirect.ToString());
        Assert.Contains(gateway.Logs, line => line.Contains("nonce", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void The_thumbnail_comes_from_the_contacts_server_of_the_same_data_centre()
    {
        Assert.Equal("https://contacts.zoho.eu/file?t=user&ID=20078284501&fs=thumb",
            Tribuo.Gateway.Login.ProviderClaims.ZohoThumbnailUrl("https://accounts.zoho.eu", "20078284501"));
        Assert.Equal("https://contacts.zoho.com/file?t=user&ID=1&fs=thumb",
            Tribuo.Gateway.Login.ProviderClaims.ZohoThumbnailUrl("https://accounts.zoho.com/", "1"));
    }
}
