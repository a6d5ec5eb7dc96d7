using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Tribuo.Gateway.Tests.Infrastructure;
using Xunit;

namespace Tribuo.Gateway.Tests.Sites;

/// <summary>
/// Protected sites in a real browser (Debian's chromium): the docs and a second site behind the gateway,
/// the login hub on its own host, DataPass played by oidc-provider. Screenshots land in TestResults/screenshots.
/// </summary>
public sealed class BrowserLoginTests(BrowserFixture browsers, OidcProviderFixture oidc) : IClassFixture<BrowserFixture>, IClassFixture<OidcProviderFixture>, IAsyncLifetime
{
    private WebApplication _sites = null!;
    private GatewayApp _gateway = null!;
    private int _port;
    private int _providerLogins;

    private string Url(string host, string path = "/") => $"http://{host}:{_port}{path}";

    public async ValueTask InitializeAsync()
    {
        var provider = oidc.RequireProvider();
        browsers.RequireBrowser();
        _sites = await StartHtmlUpstreamAsync();
        var upstream = _sites.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        _port = LoopbackPort.GetFree();
        var client = await provider.RegisterClientAsync(Url("login.tribuo.cloud", "/auth/new-token/datapass"));
        string Site(string id, string host, string metadata) =>
            $$""" "{{id}}": { "ClusterId": "sites", "Match": { "Hosts": ["{{host}}:{{_port}}", "{{host}}"], "Path": "/{**rest}" }, "Metadata": {{metadata}} } """;
        var routes = $$"""
            {
              "Routes": {
                {{Site("docs", "docs.tribuo.cloud", "{ \"Auth\": \"user\", \"Companies\": \"acme\" }")}},
                {{Site("wiki", "wiki.tribuo.cloud", "{ \"Auth\": \"user\" }")}},
                {{Site("intranet", "intranet.tribuo.cloud", "{ \"Auth\": \"user\", \"Companies\": \"tribuo\" }")}},
                {{Site("front", "front.tribuo.cloud", "{ \"Auth\": \"public\" }")}},
                {{Site("elsewhere", "elsewhere.example", "{ \"Auth\": \"public\" }")}}
              },
              "Clusters": { "sites": { "Destinations": { "a": { "Address": "{{upstream}}" } } } }
            }
            """;
        _gateway = GatewayApp.Start(routes, new Dictionary<string, string?>
        {
            ["Gateway:PublicUrl"] = Url("login.tribuo.cloud").TrimEnd('/'),
            ["Gateway:Login:AllowedOrigins:0"] = Url("docs.tribuo.cloud").TrimEnd('/'),
            ["Gateway:Login:AllowedOrigins:1"] = Url("wiki.tribuo.cloud").TrimEnd('/'),
            ["Gateway:Login:AllowedOrigins:2"] = Url("intranet.tribuo.cloud").TrimEnd('/'),
            ["Gateway:Login:AllowedOrigins:3"] = Url("front.tribuo.cloud").TrimEnd('/'),
            ["Gateway:Login:Providers:datapass:Authority"] = provider.Issuer,
            ["Gateway:Login:Providers:datapass:ClientId"] = client.ClientId,
            ["Gateway:Login:Providers:datapass:ClientSecret"] = client.ClientSecret,
            ["Gateway:Login:Providers:datapass:DisplayName"] = "DataPass",
            ["Gateway:Login:Providers:datapass:Scopes"] = OidcProvider.DataPassScopes,
            ["Gateway:Login:Providers:datapass:Company"] = "acme",
        }, _port);
    }

    public async ValueTask DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _sites.DisposeAsync();
    }

    /// <summary>The sites behind the gateway: a small HTML page naming the site, the path and the user the gateway vouched for.</summary>
    private static async Task<WebApplication> StartHtmlUpstreamAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.Run(async context =>
        {
            var site = context.Request.Headers["X-Forwarded-Host"].ToString().Split('.')[0];
            var user = Uri.UnescapeDataString(context.Request.Headers["X-Tribuo-User-Name"].ToString());
            context.Response.ContentType = "text/html; charset=utf-8";
            await context.Response.WriteAsync($"""
                <!doctype html><html><head><title>{site}</title></head>
                <body style="font-family:sans-serif;margin:3rem"><h1>Tribuo {site}</h1>
                <p id="path">{WebUtility.HtmlEncode(context.Request.Path + context.Request.QueryString)}</p>
                <p id="user">Signed in as {WebUtility.HtmlEncode(user)}</p>
                <p id="cookie">{(context.Request.Headers.Cookie.ToString().Contains("tribuo_cloud_token") ? "token leaked" : "no token")}</p></body></html>
                """);
        });
        await app.StartAsync();
        return app;
    }

    private async Task LogInAtProviderAsync(IPage page, string login)
    {
        // Arrival at the provider (Commit), not its page's load event: the provider answers with a chain of redirects,
        // and a wait for load begun on one of them timed out with the browser already there (as in ConsoleBrowserTests).
        // FillAsync waits for the form itself.
        await page.WaitForURLAsync(url => url.StartsWith(oidc.RequireProvider().Issuer, StringComparison.Ordinal),
            new PageWaitForURLOptions { WaitUntil = WaitUntilState.Commit });
        await page.FillAsync("input[name=login]", login);
        await page.FillAsync("input[name=password]", "any password");
        await page.ClickAsync("button[type=submit]");
        _providerLogins++;
    }

    /// <summary>
    /// Waits for the browser to arrive at an address (Commit) and for that page's DOMContentLoaded, not for a "load"
    /// event: the hub, the provider and the hand-back answer with chains of redirects, and a wait for "load" begun on
    /// an address of a chain timed out with the browser already where it should be (see <see cref="LogInAtProviderAsync"/>).
    /// </summary>
    private static async Task ArriveAsync(IPage page, Func<string, bool> where)
    {
        await page.WaitForURLAsync(where, new PageWaitForURLOptions { WaitUntil = WaitUntilState.Commit });
        await page.WaitForLoadStateAsync(LoadState.DOMContentLoaded);
    }

    private static Task ArriveAsync(IPage page, string url) => ArriveAsync(page, u => u == url);

    [Fact]
    public async Task A_person_logs_in_once_and_reaches_both_protected_sites()
    {
        await using var context = await browsers.NewContextAsync();
        var page = await context.NewPageAsync();
        var providerPages = 0;
        page.FrameNavigated += (_, frame) =>
        {
            if (frame == page.MainFrame && frame.Url.Contains("/interaction/", StringComparison.Ordinal))
            {
                providerPages++;
            }
        };

        await page.GotoAsync(Url("docs.tribuo.cloud", "/guide/start?lang=fr"));
        await ArriveAsync(page, url => url.StartsWith(Url("login.tribuo.cloud", "/login"), StringComparison.Ordinal));
        Assert.Equal("Log in to Tribuo", await page.InnerTextAsync("h1"));
        Assert.True(await page.IsVisibleAsync("text=Continue with DataPass"));
        await browsers.ScreenshotAsync(page, "login-page");
        await page.SetViewportSizeAsync(375, 812);
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= 375"), "the login page scrolls sideways on a phone");
        await browsers.ScreenshotAsync(page, "login-page-phone");
        await page.SetViewportSizeAsync(1280, 800);

        await page.ClickAsync("text=Continue with DataPass");
        await LogInAtProviderAsync(page, "alice.martin@acme.fr");

        await ArriveAsync(page, Url("docs.tribuo.cloud", "/guide/start?lang=fr"));
        Assert.Equal("Tribuo docs", await page.InnerTextAsync("h1"));
        Assert.Equal("/guide/start?lang=fr", await page.InnerTextAsync("#path"));
        Assert.Equal("Signed in as Alice Martin", await page.InnerTextAsync("#user"));
        Assert.Equal("no token", await page.InnerTextAsync("#cookie"));
        Assert.DoesNotContain("token=", page.Url);
        await browsers.ScreenshotAsync(page, "docs-after-login");

        await page.ReloadAsync();
        Assert.Equal(Url("docs.tribuo.cloud", "/guide/start?lang=fr"), page.Url);
        Assert.Equal("Signed in as Alice Martin", await page.InnerTextAsync("#user"));

        // The second site: the hub already knows this browser, so no provider form and no click.
        await page.GotoAsync(Url("wiki.tribuo.cloud", "/home"));
        await ArriveAsync(page, Url("wiki.tribuo.cloud", "/home"));
        Assert.Equal("Tribuo wiki", await page.InnerTextAsync("h1"));
        Assert.Equal("Signed in as Alice Martin", await page.InnerTextAsync("#user"));
        Assert.Equal(1, _providerLogins);
        Assert.Equal(1, providerPages); // the provider's form was shown once, for the first site only
    }

    [Fact]
    public async Task A_person_of_a_refused_company_sees_the_permission_message()
    {
        await using var context = await browsers.NewContextAsync();
        var page = await context.NewPageAsync();

        await page.GotoAsync(Url("intranet.tribuo.cloud", "/"));
        await page.ClickAsync("text=Continue with DataPass");
        await LogInAtProviderAsync(page, "bob@acme.fr");

        await ArriveAsync(page, url => url.Contains("error=permission", StringComparison.Ordinal));
        Assert.Contains("does not have access", await page.InnerTextAsync("[role=alert]"));
        await browsers.ScreenshotAsync(page, "login-permission");
    }

    [Fact]
    public async Task A_french_browser_sees_the_permission_page_in_french_with_its_account()
    {
        await using var context = await browsers.NewContextAsync(locale: "fr-FR");
        var page = await context.NewPageAsync();

        await page.GotoAsync(Url("intranet.tribuo.cloud", "/"));
        Assert.Equal("Connexion à Tribuo", await page.InnerTextAsync("h1"));
        await page.ClickAsync("text=Continuer avec DataPass");
        await LogInAtProviderAsync(page, "dana@acme.fr");

        await ArriveAsync(page, url => url.Contains("error=permission", StringComparison.Ordinal));
        Assert.Equal("fr", await page.GetAttributeAsync("html", "lang"));
        Assert.Contains("n’a pas accès à ce site", await page.InnerTextAsync("[role=alert]"));
        Assert.Contains("dana@acme.fr", await page.InnerTextAsync("p.account"));
        Assert.StartsWith("Vous êtes connecté avec le compte", await page.InnerTextAsync("p.account"));
        Assert.True(await page.IsVisibleAsync("button:has-text('Se déconnecter')"));
        await browsers.ScreenshotAsync(page, "login-permission-fr");
    }

    [Fact]
    public async Task The_old_front_end_pattern_still_works_from_allowed_origins_only()
    {
        await using var context = await browsers.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync(Url("docs.tribuo.cloud", "/"));
        await page.ClickAsync("text=Continue with DataPass");
        await LogInAtProviderAsync(page, "carol@acme.fr");
        await ArriveAsync(page, Url("docs.tribuo.cloud", "/"));
        var token = (await context.CookiesAsync()).First(c => c.Name == "tribuo_cloud_token").Value;
        var checkUrl = Url("login.tribuo.cloud", $"/auth/check-token/{token}");
        const string Fetch = "async url => { try { const r = await fetch(url); return r.status + ' ' + (await r.json()).email; } catch (e) { return 'blocked'; } }";

        await page.GotoAsync(Url("front.tribuo.cloud", "/"));
        Assert.Equal("200 carol@acme.fr", await page.EvaluateAsync<string>(Fetch, checkUrl));

        await page.GotoAsync(Url("elsewhere.example", "/"));
        Assert.Equal("blocked", await page.EvaluateAsync<string>(Fetch, checkUrl));
    }
}
