using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Tribuo.Gateway.Tests.Infrastructure;
using Xunit;

namespace Tribuo.Gateway.Tests.Login;

/// <summary>
/// The Zoho provider against a stand-in of Zoho Accounts' three endpoints (the real one is not reachable
/// from here): the real gateway, the real OAuth round trip over HTTP, Zoho's documented request and
/// answer shapes (<c>Zoho-oauthtoken</c> authorization, <c>ZUID</c>/<c>Email</c>/<c>Display_Name</c>).
/// </summary>
public sealed class ZohoLoginTests : IAsyncLifetime
{
    private WebApplication _zoho = null!;
    private string _accountsUrl = "";
    private string? _lastCodeVerifier;
    private string? _lastUserInfoAuthorization;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        _zoho = builder.Build();
        _zoho.MapGet("/oauth/v2/auth", (HttpContext c) =>
        {
            var q = c.Request.Query;
            Assert.Equal("AaaServer.profile.READ", q["scope"]);
            Assert.Equal("S256", q["code_challenge_method"]);
            return Results.Redirect($"{q["redirect_uri"]}?code=zoho-code&state={Uri.EscapeDataString(q["state"]!)}&location=eu");
        });
        _zoho.MapPost("/oauth/v2/token", async (HttpContext c) =>
        {
            var form = await c.Request.ReadFormAsync();
            _lastCodeVerifier = form["code_verifier"];
            return form["code"] == "zoho-code" && form["client_secret"] == "zoho-secret"
                ? Results.Json(new { access_token = "zoho-access", token_type = "Bearer", expires_in = 3600 })
                : Results.Json(new { error = "invalid_code" }, statusCode: 400);
        });
        _zoho.MapGet("/oauth/user/info", (HttpContext c) =>
        {
            _lastUserInfoAuthorization = c.Request.Headers.Authorization;
            return Results.Text("""{"ZUID":20078284501,"Email":"elliot.thiebaut@tribuo.fr","Display_Name":"Elliot Thiebaut","First_Name":"Elliot","Last_Name":"Thiebaut"}""", "application/json");
        });
        await _zoho.StartAsync(Ct);
        _accountsUrl = _zoho.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    public async ValueTask DisposeAsync() => await _zoho.DisposeAsync();

    [Fact]
    public async Task A_Zoho_login_gives_the_token_the_sites_know()
    {
        await using var gateway = GatewayApp.Start("""{ "Routes": {}, "Clusters": {} }""", new Dictionary<string, string?>
        {
            ["Gateway:Login:AllowedOrigins:0"] = "https://docs.tribuo.cloud",
            ["Gateway:Login:Providers:zoho:Type"] = "zoho",
            ["Gateway:Login:Providers:zoho:AccountsUrl"] = _accountsUrl,
            ["Gateway:Login:Providers:zoho:ClientId"] = "zoho-client",
            ["Gateway:Login:Providers:zoho:ClientSecret"] = "zoho-secret",
            ["Gateway:Login:Providers:zoho:Company"] = "tribuo",
        });
        using var browser = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() }) { BaseAddress = gateway.BaseAddress };

        using var start = await browser.GetAsync("/auth/login-zoho?origin=docs.tribuo.cloud", Ct);
        Assert.StartsWith(_accountsUrl + "/oauth/v2/auth", start.Headers.Location!.ToString());
        using var atZoho = await browser.GetAsync(start.Headers.Location, Ct);
        var callback = atZoho.Headers.Location!;
        Assert.Equal("/auth/new-token/zoho", callback.AbsolutePath);
        using var done = await browser.GetAsync(callback, Ct);

        var redirect = done.Headers.Location!;
        Assert.True(redirect.ToString().Contains("token="), string.Join(Environment.NewLine, gateway.Logs.Where(l => l.Contains("login", StringComparison.OrdinalIgnoreCase))));
        Assert.StartsWith("https://docs.tribuo.cloud/?token=", redirect.ToString());
        var claims = LoginBed.Payload(LoginBed.TokenFrom(redirect));
        Assert.Equal("20078284501", claims.GetProperty("id").GetString());
        Assert.Equal("Elliot Thiebaut", claims.GetProperty("name").GetString());
        Assert.Equal("elliot.thiebaut@tribuo.fr", claims.GetProperty("email").GetString());
        Assert.Equal("tribuo", claims.GetProperty("company").GetString());
        Assert.Equal("default", claims.GetProperty("role").GetString());
        Assert.EndsWith("/file?t=user&ID=20078284501&fs=thumb", claims.GetProperty("img_url").GetString());
        Assert.Equal("Zoho-oauthtoken zoho-access", _lastUserInfoAuthorization);
        Assert.False(string.IsNullOrEmpty(_lastCodeVerifier));
    }

    [Fact]
    public void The_thumbnail_comes_from_the_contacts_server_of_the_same_data_centre()
    {
        Assert.Equal("https://contacts.zoho.eu/file?t=user&ID=20078284501&fs=thumb",
            Tribuo.Gateway.Login.ZohoProviderHandler.ThumbnailUrl("https://accounts.zoho.eu", "20078284501"));
        Assert.Equal("https://contacts.zoho.com/file?t=user&ID=1&fs=thumb",
            Tribuo.Gateway.Login.ZohoProviderHandler.ThumbnailUrl("https://accounts.zoho.com/", "1"));
    }
}
