using System.Net;
using System.Text;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Tribuo.Gateway.Tests.Infrastructure;
using Xunit;

namespace Tribuo.Gateway.Tests.Login;

/// <summary>The whole login redirect chain against a real OpenID Connect provider playing DataPass.</summary>
public sealed class DataPassLoginTests(OidcProviderFixture oidc, RedisFixture redis, PostgresFixture postgres)
    : IClassFixture<OidcProviderFixture>, IClassFixture<RedisFixture>, IClassFixture<PostgresFixture>, IAsyncLifetime
{
    private LoginBed _bed = null!;
    private GatewayApp _gateway = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _bed = await LoginBed.StartAsync(oidc.RequireProvider(), redis.RequireServer(), await postgres.CreateExtraDatabaseAsync());
        _gateway = await _bed.StartGatewayAsync();
    }

    public ValueTask DisposeAsync() => _bed.DisposeAsync();

    [Theory]
    [InlineData("datapass")]
    [InlineData("datapass-post")]
    public async Task A_login_sends_a_token_the_JWKS_verifies_back_to_the_origin(string provider)
    {
        using var browser = LoginBed.NewBrowser(_gateway);
        var redirect = await _bed.LoginAsync(browser, "alice.martin@acme.fr", "https://docs.tribuo.cloud/guide?page=2", provider);

        Assert.Equal("https://docs.tribuo.cloud/guide", redirect.GetLeftPart(UriPartial.Path));
        Assert.StartsWith("?page=2&token=", redirect.Query);
        var token = LoginBed.TokenFrom(redirect);
        var jwt = await LoginBed.VerifyWithJwksAsync(_gateway, token);
        Assert.Equal("ES256", jwt.Alg);
        Assert.False(string.IsNullOrEmpty(jwt.Kid));

        var claims = LoginBed.Payload(token);
        Assert.Equal("Alice Martin", claims.GetProperty("name").GetString());
        Assert.Equal("alice.martin@acme.fr", claims.GetProperty("email").GetString());
        Assert.Matches("^[0-9]{18}$", claims.GetProperty("id").GetString());
        Assert.Equal(claims.GetProperty("id").GetString(), claims.GetProperty("sub").GetString());
        Assert.Equal("default", claims.GetProperty("role").GetString());
        Assert.Equal("acme", claims.GetProperty("company").GetString());
        Assert.Equal("13002526500013", claims.GetProperty("organization_siret").GetString());
        Assert.True(claims.TryGetProperty("img_url", out _));
        Assert.False(string.IsNullOrEmpty(claims.GetProperty("jti").GetString()));
        Assert.Equal(14 * 24 * 3600, claims.GetProperty("exp").GetInt64() - claims.GetProperty("iat").GetInt64());

        // check-token, as the sites call it, answers with the same claims.
        using var client = _gateway.NewClient();
        foreach (var path in new[] { $"/auth/check-token/{token}", $"/check-token/{token}" })
        {
            using var check = await client.GetAsync(path, Ct);
            Assert.Equal(HttpStatusCode.OK, check.StatusCode);
            Assert.Equal("alice.martin@acme.fr", JsonDocument.Parse(await check.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("email").GetString());
        }

        using var posted = await client.PostAsync("/auth/check-token", new StringContent(JsonSerializer.Serialize(new { token }), Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);

        await using var db = new NpgsqlConnection(_bed.Postgres);
        var user = await db.QuerySingleAsync<(string Id, string Role, string? Siret, string? ApiToken)>(
            "SELECT id, role, organization_siret, api_token FROM users WHERE email = 'alice.martin@acme.fr'");
        Assert.Equal(claims.GetProperty("id").GetString(), user.Id);
        Assert.NotNull(user.ApiToken);
        Assert.DoesNotContain("tgw_", user.ApiToken); // protected, not in clear
        Assert.Equal(1, await db.ExecuteScalarAsync<int>("SELECT count(*) FROM datapass_users WHERE user_id = @Id", new { user.Id }));
    }

    [Fact]
    public async Task A_login_started_on_one_instance_completes_on_another()
    {
        // Two instances behind one public URL, sharing PostgreSQL and Redis and nothing else.
        var first = _gateway.Services.GetRequiredService<Microsoft.Extensions.Configuration.IConfiguration>();
        var second = await _bed.StartGatewayAsync(new Dictionary<string, string?>
        {
            ["Gateway:PublicUrl"] = first["Gateway:PublicUrl"],
            ["Gateway:Login:Providers:datapass:ClientId"] = first["Gateway:Login:Providers:datapass:ClientId"],
            ["Gateway:Login:Providers:datapass:ClientSecret"] = first["Gateway:Login:Providers:datapass:ClientSecret"],
        });
        using var browser = LoginBed.NewBrowser(_gateway);
        var callback = await _bed.LoginAtProviderAsync(browser, "roaming@acme.fr");

        // The balancer sends the provider's redirect to the other instance (cookies do not depend on the port).
        using var response = await browser.GetAsync(new UriBuilder(callback) { Port = second.BaseAddress.Port }.Uri, Ct);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith($"{LoginBed.DocsOrigin}/?token=", response.Headers.Location!.ToString());
        Assert.Equal("roaming@acme.fr", LoginBed.Payload(LoginBed.TokenFrom(response.Headers.Location)).GetProperty("email").GetString());
    }

    [Fact]
    public async Task Two_tabs_logging_in_at_once_in_one_browser_both_succeed()
    {
        using var browser = LoginBed.NewBrowser(_gateway);
        var first = await _bed.LoginAtProviderAsync(browser, "tabs@acme.fr", "https://docs.tribuo.cloud/first");
        var second = await _bed.LoginAtProviderAsync(browser, "tabs@acme.fr", "https://docs.tribuo.cloud/second");

        // Finished in the other order: each login has its own correlation cookie and state.
        using var secondDone = await browser.GetAsync(second, Ct);
        using var firstDone = await browser.GetAsync(first, Ct);

        Assert.StartsWith("https://docs.tribuo.cloud/second?token=", secondDone.Headers.Location!.ToString());
        Assert.StartsWith("https://docs.tribuo.cloud/first?token=", firstDone.Headers.Location!.ToString());
    }

    [Fact]
    public async Task A_login_reached_on_a_site_host_moves_to_the_hub_where_it_completes()
    {
        // The gateway answers the sites' hosts too; PublicUrl is http://127.0.0.1:<port>, where the provider calls back.
        var hub = _gateway.BaseAddress.GetLeftPart(UriPartial.Authority);
        var site = $"docs.tribuo.cloud:{_gateway.BaseAddress.Port}";
        using var browser = LoginBed.NewBrowser(_gateway);
        var token = LoginBed.TokenFrom(await _bed.LoginAsync(browser, "sam.site@acme.fr"));
        using var client = _gateway.NewClient();

        // A site's own logout button: back to the login page on the hub, not on the site's host.
        using var logout = new HttpRequestMessage(HttpMethod.Post, "/auth/logout?origin=docs.tribuo.cloud");
        logout.Headers.Host = site;
        logout.Headers.Add("Sec-Fetch-Site", "same-origin");
        logout.Headers.Add("Cookie", $"tribuo_cloud_token={token}");
        using (var loggedOut = await client.SendAsync(logout, Ct))
        {
            Assert.Equal(HttpStatusCode.Redirect, loggedOut.StatusCode);
            Assert.Equal($"{hub}/login?origin=https%3A%2F%2Fdocs.tribuo.cloud%2F", loggedOut.Headers.Location!.ToString());
        }

        // The login page and a provider's button reached on the site's host: the same address on the hub, no login started there.
        var start = $"/auth/login-datapass?origin={Uri.EscapeDataString("https://docs.tribuo.cloud/guide")}";
        foreach (var path in new[] { "/login?origin=docs.tribuo.cloud&error=expired", start })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Host = site;
            using var response = await client.SendAsync(request, Ct);
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.Equal(hub + path, response.Headers.Location!.ToString());
            Assert.False(response.Headers.Contains("Set-Cookie"), path);
        }

        // On the hub the login completes.
        using var onHub = await browser.GetAsync(hub + start, Ct);
        Assert.StartsWith(_bed.Provider.Issuer, onHub.Headers.Location!.ToString());
        var callback = await OidcDevLogin.LoginAsync(browser, onHub.Headers.Location!, "sam.site@acme.fr", Ct);
        using var done = await browser.GetAsync(callback, Ct);
        Assert.StartsWith("https://docs.tribuo.cloud/guide?token=", done.Headers.Location!.ToString());
    }

    [Fact]
    public async Task A_tampered_state_ends_on_the_login_page_without_a_token()
    {
        using var browser = LoginBed.NewBrowser(_gateway);
        var callback = await _bed.LoginAtProviderAsync(browser, "mallory@acme.fr");
        var tampered = new Uri(callback.ToString().Replace("state=", "state=x"));

        using var response = await browser.GetAsync(tampered, Ct);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Contains("error=state", response.Headers.Location!.ToString());
        Assert.DoesNotContain("token=", response.Headers.Location!.ToString());
    }

    [Theory]
    [InlineData("datapass")]
    [InlineData("datapass-post")]
    public async Task A_code_the_token_endpoint_refuses_ends_on_the_login_page_for_the_origin(string provider)
    {
        const string origin = "https://docs.tribuo.cloud/guide";
        var loginPage = $"/login?origin={Uri.EscapeDataString(origin)}&error=provider";
        using var browser = LoginBed.NewBrowser(_gateway);

        // A second code before the real one: the handler reads the first, which the provider does not know.
        var callback = await _bed.LoginAtProviderAsync(browser, "rita@acme.fr", origin, provider);
        using (var doubled = await browser.GetAsync(new Uri(callback.ToString().Replace("code=", "code=x&code=")), Ct))
        {
            Assert.Equal(HttpStatusCode.Redirect, doubled.StatusCode);
            Assert.Equal(loginPage, doubled.Headers.Location!.ToString());
        }

        // Another provider's code with this login's state and cookies: issued to another client.
        var mine = await _bed.LoginAtProviderAsync(browser, "rita@acme.fr", origin, provider);
        var theirs = await _bed.LoginAtProviderAsync(browser, "rita@acme.fr", origin, provider == "datapass" ? "datapass-post" : "datapass");
        var swapped = new UriBuilder(mine) { Query = Code(mine, theirs) }.Uri;
        using var crossed = await browser.GetAsync(swapped, Ct);
        Assert.Equal(HttpStatusCode.Redirect, crossed.StatusCode);
        Assert.Equal(loginPage, crossed.Headers.Location!.ToString());

        // Each failure is the gateway's one warning line, never a handler's error with a stack trace (an outside probe).
        Assert.Contains(_gateway.Logs, l => l.Contains("login through", StringComparison.Ordinal) && l.Contains("failed (provider)", StringComparison.Ordinal));
        Assert.DoesNotContain(_gateway.Logs, l => l.Contains("   at ", StringComparison.Ordinal));

        static string Code(Uri into, Uri from)
        {
            var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(into.Query);
            query["code"] = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(from.Query)["code"];
            return new Microsoft.AspNetCore.Http.Extensions.QueryBuilder(query.SelectMany(p => p.Value.Select(v => KeyValuePair.Create(p.Key, v!)))).ToString();
        }
    }

    [Fact]
    public async Task A_rotated_client_secret_ends_on_the_login_page_for_the_origin()
    {
        // The callback reaches an instance whose secret the provider no longer (or never) took.
        var first = _gateway.Services.GetRequiredService<Microsoft.Extensions.Configuration.IConfiguration>();
        var rotated = await _bed.StartGatewayAsync(new Dictionary<string, string?>
        {
            ["Gateway:PublicUrl"] = first["Gateway:PublicUrl"],
            ["Gateway:Login:Providers:datapass:ClientId"] = first["Gateway:Login:Providers:datapass:ClientId"],
            ["Gateway:Login:Providers:datapass:ClientSecret"] = "rotated-" + first["Gateway:Login:Providers:datapass:ClientSecret"],
        });
        using var browser = LoginBed.NewBrowser(_gateway);
        var callback = await _bed.LoginAtProviderAsync(browser, "rotated@acme.fr");

        using var response = await browser.GetAsync(new UriBuilder(callback) { Port = rotated.BaseAddress.Port }.Uri, Ct);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/login?origin=https%3A%2F%2Fdocs.tribuo.cloud%2F&error=provider", response.Headers.Location!.ToString());
    }

    [Theory]
    [InlineData("datapass", "https://evil.example")]
    [InlineData("datapass-post", "https://evil.example")]
    [InlineData("datapass", null)]
    public async Task A_callback_whose_iss_is_not_the_providers_ends_on_the_login_page(string provider, string? iss)
    {
        // RFC 9207: the provider advertises authorization_response_iss_parameter_supported, so iss must be there and be its issuer.
        using var browser = LoginBed.NewBrowser(_gateway);
        var callback = await _bed.LoginAtProviderAsync(browser, "ivy@acme.fr", provider: provider);
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(callback.Query);
        Assert.Equal(_bed.Provider.Issuer, query["iss"].Single());
        query.Remove("iss");
        var pairs = query.SelectMany(p => p.Value.Select(v => KeyValuePair.Create(p.Key, v!))).ToList();
        if (iss is not null)
        {
            pairs.Add(KeyValuePair.Create("iss", iss));
        }

        using var response = await browser.GetAsync(new UriBuilder(callback) { Query = new Microsoft.AspNetCore.Http.Extensions.QueryBuilder(pairs).ToString() }.Uri, Ct);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/login?origin=https%3A%2F%2Fdocs.tribuo.cloud%2F&error=provider", response.Headers.Location!.ToString());
    }

    [Fact]
    public async Task A_replayed_code_gets_no_second_token()
    {
        using var browser = LoginBed.NewBrowser(_gateway);
        var callback = await _bed.LoginAtProviderAsync(browser, "carol@acme.fr");
        using (var first = await browser.GetAsync(callback, Ct))
        {
            Assert.Contains("token=", first.Headers.Location!.ToString());
        }

        using var replay = await browser.GetAsync(callback, Ct);
        Assert.Equal(HttpStatusCode.Redirect, replay.StatusCode);
        Assert.DoesNotContain("token=", replay.Headers.Location!.ToString());

        // Even with the first login's correlation cookie replayed by another client, the provider refuses the used code.
        using var other = LoginBed.NewBrowser(_gateway);
        using var replayElsewhere = await other.GetAsync(callback, Ct);
        Assert.DoesNotContain("token=", replayElsewhere.Headers.Location?.ToString() ?? "");
    }

    [Fact]
    public async Task An_unreachable_provider_ends_on_the_login_page_with_a_message()
    {
        var provider = oidc.RequireProvider();
        await using var gateway = GatewayApp.Start(_bed.Routes, new Dictionary<string, string?>
        {
            ["Gateway:Login:AllowedOrigins:0"] = LoginBed.DocsOrigin,
            ["Gateway:Login:Providers:datapass:Authority"] = $"http://127.0.0.1:{LoopbackPort.GetFree()}",
            ["Gateway:Login:Providers:datapass:ClientId"] = "x",
            ["Gateway:Login:Providers:datapass:ClientSecret"] = "y",
        });
        using var browser = LoginBed.NewBrowser(gateway);

        using var response = await browser.GetAsync($"/auth/login-datapass?origin={LoginBed.DocsOrigin}", Ct);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = response.Headers.Location!.ToString();
        Assert.StartsWith("/login?origin=", location);
        Assert.Contains("error=provider", location);
        using var page = await browser.GetAsync(location, Ct);
        Assert.Contains("could not be reached", await page.Content.ReadAsStringAsync(Ct));
        Assert.True(provider.IsRunning);
    }

    [Fact]
    public async Task Concurrent_first_logins_of_one_person_create_exactly_one_user()
    {
        const int logins = 6;
        var browsers = Enumerable.Range(0, logins).Select(_ => LoginBed.NewBrowser(_gateway)).ToArray();
        try
        {
            var callbacks = await Task.WhenAll(browsers.Select(b => _bed.LoginAtProviderAsync(b, "dora.first@acme.fr")));
            var responses = await Task.WhenAll(browsers.Zip(callbacks, (b, c) => b.GetAsync(c, Ct)));

            var ids = responses.Select(r => LoginBed.Payload(LoginBed.TokenFrom(r.Headers.Location!)).GetProperty("id").GetString()).Distinct().ToArray();
            Assert.Single(ids);
            await using var db = new NpgsqlConnection(_bed.Postgres);
            Assert.Equal(1, await db.ExecuteScalarAsync<int>("SELECT count(*) FROM users WHERE lower(email) = 'dora.first@acme.fr'"));
            Assert.NotNull(await db.ExecuteScalarAsync<string?>("SELECT api_token FROM users WHERE lower(email) = 'dora.first@acme.fr'"));
        }
        finally
        {
            foreach (var browser in browsers)
            {
                browser.Dispose();
            }
        }
    }

    [Fact]
    public async Task Logout_revokes_the_token_on_another_instance_within_a_second()
    {
        var second = await _bed.StartGatewayAsync();
        using var browser = LoginBed.NewBrowser(_gateway);
        var token = LoginBed.TokenFrom(await _bed.LoginAsync(browser, "erin@acme.fr"));
        using var secondClient = second.NewClient();
        Assert.Equal(HttpStatusCode.OK, (await secondClient.GetAsync($"/auth/check-token/{token}", Ct)).StatusCode);

        using var logout = new HttpRequestMessage(HttpMethod.Post, "/auth/logout");
        logout.Headers.Authorization = new("Bearer", token);
        using (var client = _gateway.NewClient())
        {
            Assert.Equal(HttpStatusCode.NoContent, (await client.SendAsync(logout, Ct)).StatusCode);
        }

        var watch = System.Diagnostics.Stopwatch.StartNew();
        while ((await secondClient.GetAsync($"/auth/check-token/{token}", Ct)).StatusCode != HttpStatusCode.Unauthorized)
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1), "the revocation did not reach the second instance within 1 s");
            await Task.Delay(20, Ct);
        }

        using var bearer = new HttpRequestMessage(HttpMethod.Get, "/docs/page");
        bearer.Headers.Authorization = new("Bearer", token);
        Assert.Equal(HttpStatusCode.Unauthorized, (await secondClient.SendAsync(bearer, Ct)).StatusCode);
    }

    [Fact]
    public async Task A_Bearer_token_carries_the_user_to_the_upstream_with_a_verifiable_assertion()
    {
        using var browser = LoginBed.NewBrowser(_gateway);
        var token = LoginBed.TokenFrom(await _bed.LoginAsync(browser, "élodie@acme.fr"));
        using var client = _gateway.NewClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/docs/page");
        request.Headers.Authorization = new("Bearer", token);
        request.Headers.TryAddWithoutValidation("X-Tribuo-User-Role", "admin");

        using var response = await client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var echoed = _bed.Upstream.Received.Last(r => r.Path == "/docs/page");
        Assert.Equal("%C3%89lodie", echoed.Header("X-Tribuo-User-Name"));
        Assert.Equal("élodie@acme.fr".Replace("é", "%C3%A9"), echoed.Header("X-Tribuo-User-Email"));
        Assert.Equal("default", echoed.Header("X-Tribuo-User-Role"));
        Assert.Equal("acme", echoed.Header("X-Tribuo-User-Company"));
        Assert.Equal("13002526500013", echoed.Header("X-Tribuo-User-Org-Siret"));
        Assert.Null(echoed.Header("Authorization"));

        var assertion = await LoginBed.VerifyWithJwksAsync(_gateway, echoed.Header("X-Tribuo-Assertion")!, audience: "up");
        Assert.Equal(echoed.Header("X-Tribuo-User-Id"), assertion.Subject);
        Assert.True(assertion.ValidTo - assertion.IssuedAt <= TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task Roles_and_companies_of_the_route_decide_for_users()
    {
        using var browser = LoginBed.NewBrowser(_gateway);
        var token = LoginBed.TokenFrom(await _bed.LoginAsync(browser, "frank@acme.fr"));
        using var client = _gateway.NewClient();

        using var admins = new HttpRequestMessage(HttpMethod.Get, "/admins/x");
        admins.Headers.Authorization = new("Bearer", token);
        using var refused = await client.SendAsync(admins, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("admin", await refused.Content.ReadAsStringAsync(Ct));

        // Gateway:Login:Admins makes boss@acme.fr an admin at login.
        using var bossBrowser = LoginBed.NewBrowser(_gateway);
        var bossToken = LoginBed.TokenFrom(await _bed.LoginAsync(bossBrowser, "boss@acme.fr"));
        using var bossRequest = new HttpRequestMessage(HttpMethod.Get, "/admins/x");
        bossRequest.Headers.Authorization = new("Bearer", bossToken);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(bossRequest, Ct)).StatusCode);
    }

    [Fact]
    public async Task The_DataPass_handoff_sends_the_agreed_parameters_and_the_api_token_works_as_a_key()
    {
        using var browser = LoginBed.NewBrowser(_gateway);
        var redirect = await _bed.LoginAsync(browser, "gina+siret98765432109876@acme.fr", LoginBed.HandoffOrigin);

        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(redirect.Query);
        Assert.False(query.ContainsKey("token"));
        Assert.Equal("98765432109876", query["organization_siret"].Single());
        Assert.Equal("gina+siret98765432109876@acme.fr", query["email"].Single());
        Assert.Equal("default", query["role"].Single());
        var apiToken = query["api_token"].Single()!;
        Assert.StartsWith("tgw_", apiToken);

        using var client = _gateway.NewClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/any/data");
        request.Headers.TryAddWithoutValidation("Authorization", $"KEY {apiToken}");
        using var response = await client.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("98765432109876", _bed.Upstream.Received.Last(r => r.Path == "/any/data").Header("X-Tribuo-User-Org-Siret"));
        Assert.DoesNotContain(_gateway.Logs, line => line.Contains(apiToken));
    }
}
