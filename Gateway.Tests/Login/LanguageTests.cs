using System.Net;
using System.Net.Http.Headers;
using Tribuo.Gateway.Tests.Infrastructure;
using Xunit;

namespace Tribuo.Gateway.Tests.Login;

/// <summary>
/// Issue 8, "for the people who log in": the hub's pages in French or English, chosen from Accept-Language by
/// request localization (French for <c>fr</c>, English otherwise), with Content-Language and &lt;html lang&gt;
/// saying which, under the same strict Content-Security-Policy.
/// </summary>
public sealed class LanguageTests(OidcProviderFixture oidc, RedisFixture redis, PostgresFixture postgres)
    : IClassFixture<OidcProviderFixture>, IClassFixture<RedisFixture>, IClassFixture<PostgresFixture>, IAsyncLifetime
{
    private const string French = "fr-FR,fr;q=0.9";
    private LoginBed _bed = null!;
    private GatewayApp _gateway = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static string LoginPath(string? error = null) => $"/login?origin={Uri.EscapeDataString(LoginBed.DocsOrigin)}{(error is null ? "" : "&error=" + error)}";

    public async ValueTask InitializeAsync()
    {
        _bed = await LoginBed.StartAsync(oidc.RequireProvider(), redis.RequireServer(), await postgres.CreateExtraDatabaseAsync());
        _gateway = await _bed.StartGatewayAsync();
    }

    public ValueTask DisposeAsync() => _bed.DisposeAsync();

    /// <summary>The page's status, Content-Language and text with the HTML entities decoded.</summary>
    private static async Task<(HttpResponseMessage Response, string Html)> GetAsync(HttpClient browser, string path, string? acceptLanguage)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (acceptLanguage is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept-Language", acceptLanguage);
        }

        var response = await browser.SendAsync(request, Ct);
        return (response, WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync(Ct)));
    }

    private static void AssertLanguage(HttpResponseMessage response, string html, string language)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(language, Assert.Single(response.Content.Headers.ContentLanguage));
        Assert.Contains($"<html lang=\"{language}\">", html);
        Assert.StartsWith("default-src 'none'; style-src 'sha256-", response.Headers.GetValues("Content-Security-Policy").Single());
    }

    [Fact]
    public async Task The_login_page_is_in_french_for_a_french_browser()
    {
        using var browser = LoginBed.NewBrowser(_gateway);

        var (response, html) = await GetAsync(browser, LoginPath(), French);

        using (response)
        {
            AssertLanguage(response, html, "fr");
            Assert.Contains("<title>Connexion · Tribuo</title>", html);
            Assert.Contains("<h1>Connexion à Tribuo</h1>", html);
            Assert.Contains($"pour continuer vers <strong>{LoginBed.DocsOrigin}</strong>", html);
            Assert.Contains("Continuer avec", html);
            Assert.DoesNotContain("Log in", html);
        }
    }

    [Theory]
    [InlineData("en-US")]
    [InlineData(null)]
    [InlineData("de-DE,de;q=0.9")]
    public async Task The_login_page_is_in_english_otherwise(string? acceptLanguage)
    {
        using var browser = LoginBed.NewBrowser(_gateway);

        var (response, html) = await GetAsync(browser, LoginPath(), acceptLanguage);

        using (response)
        {
            AssertLanguage(response, html, "en");
            Assert.Contains("<h1>Log in to Tribuo</h1>", html);
            Assert.Contains($"to continue to <strong>{LoginBed.DocsOrigin}</strong>", html);
            Assert.Contains("Continue with", html);
        }
    }

    [Theory]
    [InlineData(French, "fr", "Votre compte n’a pas accès à ce site.", "Vous êtes connecté avec le compte <strong>Lang User</strong> (lang.user@acme.fr).", "Se déconnecter")]
    [InlineData("en-US", "en", "Your account does not have access to that site.", "You are logged in as <strong>Lang User</strong> (lang.user@acme.fr).", "Log out")]
    public async Task The_permission_page_names_the_account_in_the_browsers_language(string acceptLanguage, string language, string refusal, string account, string logOut)
    {
        using var browser = LoginBed.NewBrowser(_gateway);
        await _bed.LoginAsync(browser, "lang.user@acme.fr");

        var (response, html) = await GetAsync(browser, LoginPath("permission"), acceptLanguage);

        using (response)
        {
            AssertLanguage(response, html, language);
            Assert.Contains(refusal, html);
            Assert.Contains(account, html);
            Assert.Contains($">{logOut}</button>", html);
        }
    }

    [Fact]
    public async Task The_error_page_is_in_french_for_a_french_browser()
    {
        using var browser = LoginBed.NewBrowser(_gateway);

        var (response, html) = await GetAsync(browser, "/auth/login-failed?error=denied", French);

        using (response)
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("fr", Assert.Single(response.Content.Headers.ContentLanguage));
            Assert.Contains("<h1>La connexion n’a pas pu aboutir</h1>", html);
            Assert.Contains("La connexion a été annulée chez le fournisseur d’identité.", html);
        }
    }
}

/// <summary>
/// The gateway as shipped runs with InvariantGlobalization, which the in-process test host does not: the
/// French page from the real process shows the cultures request localization needs do exist there.
/// </summary>
public sealed class LanguageInShippedProcessTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_shipped_gateway_answers_a_french_browser_in_french()
    {
        var directory = Directory.CreateTempSubdirectory("tgw-language-").FullName;
        var port = LoopbackPort.GetFree();
        var psi = await GatewayProcess.MinimalServerAsync(directory, port, Ct);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        await using var gateway = new ChildProcess(this, 200, directory);
        await GatewayProcess.StartHealthyAsync(gateway, psi, http, Ct);
        Assert.Contains("\"System.Globalization.Invariant\": true", await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Tribuo.Gateway.runtimeconfig.json"), Ct));

        using var request = new HttpRequestMessage(HttpMethod.Get, "/auth/login-failed?error=denied");
        request.Headers.AcceptLanguage.Add(new StringWithQualityHeaderValue("fr-FR"));
        using var response = await http.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("fr", Assert.Single(response.Content.Headers.ContentLanguage));
        Assert.Contains("<h1>La connexion n’a pas pu aboutir</h1>", WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync(Ct)));
    }
}
