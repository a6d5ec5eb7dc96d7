using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Tribuo.Gateway.Login;
using Tribuo.Gateway.Tests.Infrastructure;
using Tribuo.Gateway.Users;
using Xunit;

namespace Tribuo.Gateway.Tests.Sites;

/// <summary>
/// The hub's own forms in a real browser (Debian's chromium through Playwright): the legacy password form and
/// the logout confirmation post to the gateway from its own pages, which the cross-site checks must let through.
/// Under <c>Referrer-Policy: no-referrer</c> Chrome sends <c>Origin: null</c> on such posts, and they were refused.
/// </summary>
public sealed class PasswordBrowserTests(BrowserFixture browsers) : IClassFixture<BrowserFixture>, IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly int _port = LoopbackPort.GetFree();
    private GatewayApp _gateway = null!;

    private string Hub => $"http://login.tribuo.cloud:{_port}";
    private const string Site = "http://docs.tribuo.cloud";

    public ValueTask InitializeAsync()
    {
        _gateway = GatewayApp.Start("""{ "Routes": {}, "Clusters": {} }""", new Dictionary<string, string?>
        {
            ["Gateway:PublicUrl"] = Hub,
            ["Gateway:Login:AllowedOrigins:0"] = Site,
            ["Gateway:Login:LegacyPasswords"] = "true",
        }, _port);
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => _gateway.DisposeAsync();

    [Fact]
    public async Task A_legacy_account_logs_in_with_the_password_form_and_logs_out_with_the_confirmation_button()
    {
        var store = _gateway.Services.GetRequiredService<IUserStore>();
        var user = (await store.CreateAsync(new ExternalLogin { Provider = "test", Subject = "old", Email = "old@tribuo.fr" }, "100000000000000077", null, Ct))!;
        await store.SetLegacyPasswordHashAsync(user.Id, LegacyPasswordHash.Create("correct horse", "s4lt", LegacyPasswordHash.CurrentIterations), Ct);
        await using var context = await browsers.NewContextAsync();
        var page = await context.NewPageAsync();
        string? tokenUrl = null;
        // The site itself is not running: catch the redirect to it rather than load it.
        await page.RouteAsync($"{Site}/**", async route =>
        {
            tokenUrl = route.Request.Url;
            await route.FulfillAsync(new() { Status = 200, Body = "site" });
        });

        await page.GotoAsync($"{Hub}/login?origin={Uri.EscapeDataString(Site)}");
        await page.FillAsync("input[name=email]", "old@tribuo.fr");
        await page.FillAsync("input[name=password]", "correct horse");
        await page.ClickAsync("button[type=submit]");
        // Arrival (Commit), not the load event: the hub answers the form with a redirect to the site (see BrowserLoginTests.ArriveAsync).
        await page.WaitForURLAsync(url => url.StartsWith(Site, StringComparison.Ordinal), new PageWaitForURLOptions { WaitUntil = WaitUntilState.Commit });

        Assert.NotNull(tokenUrl);
        var token = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(new Uri(tokenUrl).Query)["token"].ToString();
        var tokens = _gateway.Services.GetRequiredService<Tokens.TokenService>();
        Assert.NotNull(await tokens.ValidateAsync(token));

        // A logout link from elsewhere gets the confirmation page; its button posts from the gateway's own page.
        await context.AddCookiesAsync([new() { Name = SessionCookie.Name, Value = token, Url = Hub }]);
        await page.GotoAsync($"{Hub}/auth/logout");
        var logout = await page.RunAndWaitForResponseAsync(
            () => page.Locator("button[type=submit]").DispatchEventAsync("click"), // a click that does not wait for a page: the answer is a 204
            r => r.Url.StartsWith($"{Hub}/auth/logout", StringComparison.Ordinal) && r.Request.Method == "POST");
        Assert.Equal(204, logout.Status);
        Assert.Null(await tokens.ValidateAsync(token));
    }
}
