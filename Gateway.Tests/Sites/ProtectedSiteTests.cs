using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Tribuo.Gateway.Tests.Infrastructure;
using Tribuo.Gateway.Tokens;
using Tribuo.Gateway.Users;
using Xunit;

namespace Tribuo.Gateway.Tests.Sites;

/// <summary>DESIGN §6 at the HTTP level: the redirect dance, the cookie, JSON for non-browsers.</summary>
public sealed class ProtectedSiteTests : IAsyncLifetime
{
    private const string Hub = "https://login.tribuo.cloud";
    private const string BrowserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    private EchoUpstream _upstream = null!;
    private GatewayApp _gateway = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _upstream = await EchoUpstream.StartAsync();
        _gateway = GatewayApp.Start($$"""
            {
              "Routes": {
                "docs": { "ClusterId": "docs", "Match": { "Hosts": ["docs.tribuo.cloud"], "Path": "/{**rest}" }, "Metadata": { "Auth": "user", "Companies": "tribuo" } },
                "app":  { "ClusterId": "docs", "Match": { "Path": "/app/{**rest}" }, "Metadata": { "Auth": "any", "Scopes": "user" } }
              },
              "Clusters": { "docs": { "Destinations": { "a": { "Address": "{{_upstream.Address}}" } } } }
            }
            """, new Dictionary<string, string?>
        {
            ["Gateway:PublicUrl"] = Hub,
            ["Gateway:Login:AllowedOrigins:0"] = "https://docs.tribuo.cloud",
            ["Gateway:Login:AllowedOrigins:1"] = "https://app.tribuo.cloud",
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    private async Task<string> TokenForAsync(string email, string? company)
    {
        var users = _gateway.Services.GetRequiredService<IUserStore>();
        var user = (await users.CreateAsync(new ExternalLogin { Provider = "test", Subject = email, Email = email, Name = "Test", Company = company }, Guid.NewGuid().ToString("n"), null, Ct))!;
        return _gateway.Services.GetRequiredService<TokenService>().Issue(user);
    }

    /// <summary>
    /// Starts a login for <paramref name="path"/> the way a browser does (a page load without a session): the
    /// binding value the gateway put in the return URL and in the <c>tribuo_login</c> cookie.
    /// </summary>
    internal static async Task<string> BindingAsync(Func<string, Task<HttpResponseMessage>> send, string path)
    {
        using var start = await send(path);
        Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);
        var cookie = start.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("tribuo_login=", StringComparison.Ordinal));
        var binding = cookie["tribuo_login=".Length..cookie.IndexOf(';')];
        Assert.Contains(Uri.EscapeDataString("tribuo_login=" + binding), start.Headers.Location!.ToString());
        return binding;
    }

    private Task<string> BindingAsync(string path) => BindingAsync(p => SendAsync(p), path);

    private async Task<HttpResponseMessage> SendAsync(string pathAndQuery, string? accept = BrowserAccept, string? cookie = null, Action<HttpRequestMessage>? configure = null)
    {
        using var client = _gateway.NewClient();
        var request = new HttpRequestMessage(HttpMethod.Get, pathAndQuery);
        request.Headers.Host = "docs.tribuo.cloud";
        if (accept is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }

        if (cookie is not null)
        {
            request.Headers.TryAddWithoutValidation("Cookie", cookie);
        }

        configure?.Invoke(request);
        return await client.SendAsync(request, Ct);
    }

    [Fact]
    public async Task A_browser_without_a_session_goes_to_the_login_hub_with_the_full_URL()
    {
        using var response = await SendAsync("/guide/intro?lang=fr&x=1");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var binding = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("tribuo_login=", StringComparison.Ordinal)).Split(';')[0]["tribuo_login=".Length..];
        Assert.Equal($"{Hub}/login?origin={Uri.EscapeDataString($"http://docs.tribuo.cloud/guide/intro?lang=fr&x=1&tribuo_login={binding}")}", response.Headers.Location!.ToString());
        Assert.Empty(_upstream.Received);
    }

    [Theory]
    [InlineData(2000, 10, "http://docs.tribuo.cloud/guide/intro?tribuo_login=")]
    [InlineData(10, 2100, "http://docs.tribuo.cloud/?tribuo_login=")]
    public async Task A_URL_too_long_for_a_login_link_returns_to_its_path_or_to_the_site(int query, int path, string returnsTo)
    {
        var url = (path > 10 ? "/" + new string('p', path) : "/guide/intro") + "?q=" + new string('x', query);

        using var response = await SendAsync(url);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var origin = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(response.Headers.Location!.Query)["origin"].Single();
        Assert.StartsWith(returnsTo, origin);
        // The link the login page gets is one it can read (this test's site is on plain http, which it does not allow).
        Assert.True(Tribuo.Gateway.Login.ReturnUrl.Parse(origin, out var reason) is not null, reason);
    }

    [Fact]
    public void An_origin_too_long_is_refused_naming_the_length_limit()
    {
        var origin = "https://docs.tribuo.cloud/?q=" + new string('x', 2100);

        Assert.Null(Tribuo.Gateway.Login.ReturnUrl.Parse(origin, out var reason));
        Assert.Contains("2048 characters", reason);
        Assert.DoesNotContain("not allowed", reason);
    }

    [Theory]
    [InlineData("application/json", null, null)]
    [InlineData(BrowserAccept, "X-Requested-With", "XMLHttpRequest")]
    [InlineData(BrowserAccept, "Sec-Fetch-Mode", "cors")]
    [InlineData(null, null, null)]
    [InlineData("text/html;q=0, application/json", null, null)] // an outside probe: "not HTML" was read as a page load
    [InlineData("application/json, TEXT/HTML; q=0.000", null, null)]
    public async Task Scripts_and_API_clients_get_401_JSON_never_a_redirect(string? accept, string? header, string? value)
    {
        using var response = await SendAsync("/guide", accept, configure: r =>
        {
            if (header is not null)
            {
                r.Headers.Add(header, value);
            }
        });

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Null(response.Headers.Location);
    }

    [Fact]
    public async Task Coming_back_with_a_token_sets_the_cookie_and_cleans_the_URL_and_the_token_never_reaches_the_upstream()
    {
        var token = await TokenForAsync("ada@tribuo.fr", "tribuo");

        var binding = await BindingAsync("/guide?lang=fr&x=1");
        using var back = await SendAsync($"/guide?lang=fr&tribuo_login={binding}&token={token}&x=1", cookie: $"tribuo_login={binding}");

        Assert.Equal(HttpStatusCode.Redirect, back.StatusCode);
        Assert.Equal("http://docs.tribuo.cloud/guide?lang=fr&x=1", back.Headers.Location!.ToString());
        var cookie = back.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("tribuo_cloud_token=", StringComparison.Ordinal));
        Assert.Contains($"tribuo_cloud_token={token}", cookie);
        Assert.Contains("max-age=172800", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("secure", cookie, StringComparison.OrdinalIgnoreCase); // plain http here; https sets Secure
        Assert.Empty(_upstream.Received);

        using var page = await SendAsync("/guide?lang=fr&x=1", cookie: $"theme=dark; tribuo_cloud_token={token}");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var echoed = _upstream.Received.Single();
        Assert.Equal("theme=dark", echoed.Header("Cookie"));
        Assert.DoesNotContain(token, echoed.RawTarget);
        Assert.Equal("ada@tribuo.fr", echoed.Header("X-Tribuo-User-Email"));
    }

    [Fact]
    public async Task A_token_in_the_URL_of_an_API_call_is_not_forwarded()
    {
        var token = await TokenForAsync("fay@tribuo.fr", "tribuo");

        using var response = await SendAsync($"/data?a=1&token={token}", accept: "application/json", configure: r => r.Headers.Authorization = new("Bearer", token));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("/data?a=1", _upstream.Received.Single().RawTarget);
    }

    [Fact]
    public async Task An_invalid_token_or_a_revoked_session_goes_back_to_login_with_error_expired()
    {
        var binding = await BindingAsync("/guide");
        using (var forged = await SendAsync($"/guide?tribuo_login={binding}&token=not-a-token", cookie: $"tribuo_login={binding}"))
        {
            Assert.Equal(HttpStatusCode.Redirect, forged.StatusCode);
            Assert.EndsWith("&error=expired", forged.Headers.Location!.ToString());
            Assert.DoesNotContain("not-a-token", forged.Headers.Location!.ToString());
        }

        var token = await TokenForAsync("bob@tribuo.fr", "tribuo");
        using (var logout = await SendAsync("/auth/logout?origin=docs.tribuo.cloud", cookie: $"tribuo_cloud_token={token}",
            configure: r => r.Headers.Add("Sec-Fetch-Site", "same-origin")))
        {
            Assert.Equal(HttpStatusCode.Redirect, logout.StatusCode);
            Assert.Equal($"{Hub}/login?origin=https%3A%2F%2Fdocs.tribuo.cloud%2F", logout.Headers.Location!.ToString());
            Assert.Contains(logout.Headers.GetValues("Set-Cookie"), c => c.StartsWith("tribuo_cloud_token=;", StringComparison.Ordinal));
        }

        using var stale = await SendAsync("/guide", cookie: $"tribuo_cloud_token={token}");
        Assert.Equal(HttpStatusCode.Redirect, stale.StatusCode);
        Assert.EndsWith("&error=expired", stale.Headers.Location!.ToString());
        Assert.Contains(stale.Headers.GetValues("Set-Cookie"), c => c.StartsWith("tribuo_cloud_token=;", StringComparison.Ordinal));

        using var api = await SendAsync("/guide", accept: "application/json", cookie: $"tribuo_cloud_token={token}");
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
    }

    [Fact]
    public async Task A_person_of_another_company_gets_the_permission_message_or_403()
    {
        var token = await TokenForAsync("eve@acme.fr", "acme");

        var binding = await BindingAsync("/guide");
        using var handBack = await SendAsync($"/guide?tribuo_login={binding}&token={token}", cookie: $"tribuo_login={binding}");
        Assert.Equal(HttpStatusCode.Redirect, handBack.StatusCode);
        Assert.EndsWith("&error=permission", handBack.Headers.Location!.ToString());

        using var browser = await SendAsync("/guide", cookie: $"tribuo_cloud_token={token}");
        Assert.EndsWith("&error=permission", browser.Headers.Location!.ToString());

        using var api = await SendAsync("/guide", accept: "application/json", configure: r => r.Headers.Authorization = new("Bearer", token));
        Assert.Equal(HttpStatusCode.Forbidden, api.StatusCode);
        Assert.Empty(_upstream.Received);
    }

    [Fact]
    public async Task A_link_with_another_token_or_garbage_never_replaces_nor_clears_the_session()
    {
        var victim = await TokenForAsync("vic@tribuo.fr", "tribuo");
        var attacker = await TokenForAsync("att@tribuo.fr", "tribuo");
        static bool TouchesSession(HttpResponseMessage r) =>
            r.Headers.TryGetValues("Set-Cookie", out var set) && set.Any(c => c.StartsWith("tribuo_cloud_token=", StringComparison.Ordinal));

        // Unbound: not from a login this gateway started for this browser. The attacker's own binding does
        // not help, its cookie is in the attacker's browser.
        var attackersBinding = await BindingAsync("/guide");
        foreach (var link in new[] { $"/guide?token={attacker}", "/guide?token=garbage", $"/guide?tribuo_login={attackersBinding}&token={attacker}" })
        {
            using var response = await SendAsync(link, cookie: $"tribuo_cloud_token={victim}");
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.Equal("http://docs.tribuo.cloud/guide", response.Headers.Location!.ToString());
            Assert.False(TouchesSession(response), link);
        }

        // Bound but bad: back to login, the session stays.
        var binding = await BindingAsync("/guide");
        using (var bad = await SendAsync($"/guide?tribuo_login={binding}&token=garbage", cookie: $"tribuo_login={binding}; tribuo_cloud_token={victim}"))
        {
            Assert.EndsWith("&error=expired", bad.Headers.Location!.ToString());
            Assert.False(TouchesSession(bad));
        }

        using var page = await SendAsync("/guide", cookie: $"tribuo_cloud_token={victim}");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("vic@tribuo.fr", _upstream.Received.Single().Header("X-Tribuo-User-Email"));
    }

    [Fact]
    public async Task Two_session_cookies_are_refused_not_resolved_by_order()
    {
        var first = await TokenForAsync("one@tribuo.fr", "tribuo");
        var second = await TokenForAsync("two@tribuo.fr", "tribuo");

        using var response = await SendAsync("/guide", accept: "application/json", cookie: $"tribuo_cloud_token={first}; tribuo_cloud_token={second}");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Empty(_upstream.Received);
    }

    [Fact]
    public async Task A_page_load_with_two_session_cookies_says_so_and_clears_the_gateways_own()
    {
        var first = await TokenForAsync("one.page@tribuo.fr", "tribuo");
        var second = await TokenForAsync("two.page@tribuo.fr", "tribuo");

        using var response = await SendAsync("/guide", cookie: $"tribuo_cloud_token={first}; tribuo_cloud_token={second}");

        // Not "your session has expired", which logging in again would not cure (the tossed cookie stays).
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.EndsWith("&error=cookies", response.Headers.Location!.ToString());
        var cleared = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("tribuo_cloud_token=;", StringComparison.Ordinal));
        Assert.Contains("path=/", cleared, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", cleared, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("httponly", cleared, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("domain=", cleared, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(_upstream.Received);

        // The login page has a sentence of its own for it, in both languages.
        foreach (var texts in new[] { Tribuo.Gateway.Login.LoginTexts.English, Tribuo.Gateway.Login.LoginTexts.French })
        {
            Assert.True(texts.Errors.ContainsKey("cookies"), texts.Language);
        }

        Assert.Contains("two session cookies", Tribuo.Gateway.Login.LoginTexts.English.ErrorSentence("cookies"));
    }

    [Fact]
    public async Task A_logout_with_the_session_cookie_needs_proof_of_intent()
    {
        var token = await TokenForAsync("lou@tribuo.fr", "tribuo");
        async Task<HttpStatusCode> CheckAsync()
        {
            using var check = await _gateway.NewClient().GetAsync($"/auth/check-token/{token}", Ct);
            return check.StatusCode;
        }

        using (var link = await SendAsync("/auth/logout?origin=docs.tribuo.cloud", cookie: $"tribuo_cloud_token={token}",
            configure: r => r.Headers.Add("Sec-Fetch-Site", "cross-site")))
        {
            Assert.Equal(HttpStatusCode.OK, link.StatusCode);
            Assert.Contains("method=\"post\"", await link.Content.ReadAsStringAsync(Ct));
        }

        Assert.Equal(HttpStatusCode.OK, await CheckAsync());
        using (var crossSite = await SendAsync("/auth/logout", cookie: $"tribuo_cloud_token={token}", configure: r =>
        {
            r.Method = HttpMethod.Post;
            r.Headers.Add("Origin", "https://evil.tribuo.cloud");
        }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, crossSite.StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, await CheckAsync());
        using (var fromThePage = await SendAsync("/auth/logout", cookie: $"tribuo_cloud_token={token}", configure: r =>
        {
            r.Method = HttpMethod.Post;
            r.Headers.Add("Origin", "http://docs.tribuo.cloud");
        }))
        {
            Assert.Equal(HttpStatusCode.NoContent, fromThePage.StatusCode);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await CheckAsync());
    }

    [Fact]
    public async Task Logout_links_are_validated_like_login_links()
    {
        using var hostile = await SendAsync("/auth/logout?origin=https%3A%2F%2Fevil.com");
        Assert.Equal(HttpStatusCode.BadRequest, hostile.StatusCode);
        Assert.Null(hostile.Headers.Location);
    }

    [Fact]
    public async Task The_sites_origins_may_call_user_routes_from_scripts_with_the_cookie()
    {
        var token = await TokenForAsync("cy@tribuo.fr", "tribuo");
        using var preflight = await SendAsync("/api", accept: null, configure: r =>
        {
            r.Method = HttpMethod.Options;
            r.Headers.Add("Origin", "https://app.tribuo.cloud");
            r.Headers.Add("Access-Control-Request-Method", "GET");
        });
        Assert.Equal(HttpStatusCode.NoContent, preflight.StatusCode);
        Assert.Equal("true", preflight.Headers.GetValues("Access-Control-Allow-Credentials").Single());
        Assert.Equal("https://app.tribuo.cloud", preflight.Headers.GetValues("Access-Control-Allow-Origin").Single());

        using var other = await SendAsync("/api", accept: null, configure: r =>
        {
            r.Method = HttpMethod.Options;
            r.Headers.Add("Origin", "https://evil.com");
            r.Headers.Add("Access-Control-Request-Method", "GET");
        });
        Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);

        using var call = await SendAsync("/api", accept: "application/json", cookie: $"tribuo_cloud_token={token}", configure: r => r.Headers.Add("Origin", "https://app.tribuo.cloud"));
        Assert.Equal(HttpStatusCode.OK, call.StatusCode);
        Assert.Equal("https://app.tribuo.cloud", call.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Equal("true", call.Headers.GetValues("Access-Control-Allow-Credentials").Single());
    }

    [Fact]
    public async Task Check_token_answers_CORS_only_for_allowed_origins()
    {
        var token = await TokenForAsync("dan@tribuo.fr", "tribuo");
        using var client = _gateway.NewClient();

        using var allowed = new HttpRequestMessage(HttpMethod.Get, $"/auth/check-token/{token}");
        allowed.Headers.Add("Origin", "https://docs.tribuo.cloud");
        using var allowedResponse = await client.SendAsync(allowed, Ct);
        Assert.Equal("https://docs.tribuo.cloud", allowedResponse.Headers.GetValues("Access-Control-Allow-Origin").Single());

        using var refused = new HttpRequestMessage(HttpMethod.Get, $"/auth/check-token/{token}");
        refused.Headers.Add("Origin", "https://evil.com");
        using var refusedResponse = await client.SendAsync(refused, Ct);
        Assert.False(refusedResponse.Headers.Contains("Access-Control-Allow-Origin"));
    }
}
