using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Tribuo.Gateway.Tests.Infrastructure;
using Tribuo.Gateway.Tokens;
using Tribuo.Gateway.Users;
using Xunit;

namespace Tribuo.Gateway.Tests.Sites;

/// <summary>
/// Item 6 of issue 8: behind a TLS-terminating load balancer listed in <c>Gateway:TrustedProxies</c>, the
/// protected site works over https: the return URL, the redirects and the cookies say https / Secure.
/// The same headers from a client that is not a trusted proxy change nothing.
/// </summary>
public sealed class TrustedProxyTests : IAsyncLifetime
{
    private const string BrowserAccept = "text/html,application/xhtml+xml";

    private EchoUpstream _upstream = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _upstream = await EchoUpstream.StartAsync();

    public async ValueTask DisposeAsync() => await _upstream.DisposeAsync();

    private GatewayApp Start(bool trusted)
    {
        var settings = new Dictionary<string, string?> { ["Gateway:Login:AllowedOrigins:0"] = "https://docs.tribuo.cloud" };
        if (trusted)
        {
            settings["Gateway:TrustedProxies:0"] = "127.0.0.0/8";
        }

        return GatewayApp.Start($$"""
            {
              "Routes": { "docs": { "ClusterId": "docs", "Match": { "Hosts": ["docs.tribuo.cloud"], "Path": "/{**rest}" }, "Metadata": { "Auth": "user" } } },
              "Clusters": { "docs": { "Destinations": { "a": { "Address": "{{_upstream.Address}}" } } } }
            }
            """, settings);
    }

    private static async Task<HttpResponseMessage> SendAsync(GatewayApp gateway, string path, string? cookie = null)
    {
        using var client = gateway.NewClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        // What the balancer in front sends: the browser spoke https to docs.tribuo.cloud.
        request.Headers.Host = "docs.tribuo.cloud";
        request.Headers.TryAddWithoutValidation("X-Forwarded-Proto", "https");
        request.Headers.TryAddWithoutValidation("X-Forwarded-Host", "docs.tribuo.cloud");
        request.Headers.TryAddWithoutValidation("X-Forwarded-For", "203.0.113.9");
        request.Headers.TryAddWithoutValidation("Accept", BrowserAccept);
        if (cookie is not null)
        {
            request.Headers.TryAddWithoutValidation("Cookie", cookie);
        }

        return await client.SendAsync(request, Ct);
    }

    [Fact]
    public async Task Behind_a_trusted_TLS_balancer_the_login_round_trip_is_https_with_Secure_cookies()
    {
        await using var gateway = Start(trusted: true);

        using var start = await SendAsync(gateway, "/guide");
        Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);
        var location = start.Headers.Location!.ToString();
        Assert.StartsWith($"https://docs.tribuo.cloud/login?origin={Uri.EscapeDataString("https://docs.tribuo.cloud/guide?tribuo_login=")}", location);
        // On https the binding is a __Host- cookie: a sibling subdomain cannot set it.
        var bindingCookie = start.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("__Host-tribuo_login=", StringComparison.Ordinal));
        Assert.Contains("secure", bindingCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/;", bindingCookie + ";", StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("domain=", bindingCookie, StringComparison.OrdinalIgnoreCase);
        var binding = bindingCookie.Split(';')[0]["__Host-tribuo_login=".Length..];

        // The login page accepts that origin (https://docs.tribuo.cloud is allowed; http:// would not be).
        using var page = await SendAsync(gateway, new Uri(location).PathAndQuery);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);

        var token = await TokenForStoredUserAsync(gateway);
        using var back = await SendAsync(gateway, $"/guide?tribuo_login={binding}&token={token}", cookie: $"__Host-tribuo_login={binding}");
        Assert.Equal(HttpStatusCode.Redirect, back.StatusCode);
        Assert.Equal("https://docs.tribuo.cloud/guide", back.Headers.Location!.ToString());
        var session = back.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("tribuo_cloud_token=", StringComparison.Ordinal));
        Assert.Contains("secure", session, StringComparison.OrdinalIgnoreCase);

        using var proxied = await SendAsync(gateway, "/guide", cookie: $"tribuo_cloud_token={token}");
        Assert.Equal(HttpStatusCode.OK, proxied.StatusCode);
        var echoed = _upstream.Received.Last();
        Assert.Equal("203.0.113.9", echoed.Header("X-Forwarded-For"));
        Assert.Equal("https", echoed.Header("X-Forwarded-Proto"));
    }

    /// <summary>
    /// An outside review: routing ran before the forwarded headers were applied, so routes matched the balancer's own
    /// Host while redirects, cookies and upstream headers used the forwarded one.
    /// </summary>
    [Theory]
    [InlineData(true, "gw.internal:8080", "docs.tribuo.cloud", HttpStatusCode.Redirect)]
    [InlineData(true, "docs.tribuo.cloud", "www.tribuo.cloud", HttpStatusCode.NotFound)]
    [InlineData(false, "gw.internal:8080", "docs.tribuo.cloud", HttpStatusCode.NotFound)]
    public async Task Routes_match_the_host_the_balancer_forwards_when_it_is_trusted(bool trusted, string host, string forwardedHost, HttpStatusCode expected)
    {
        await using var gateway = Start(trusted);
        using var client = gateway.NewClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/guide");
        request.Headers.Host = host;
        request.Headers.TryAddWithoutValidation("X-Forwarded-Host", forwardedHost);
        request.Headers.TryAddWithoutValidation("X-Forwarded-Proto", "https");
        request.Headers.TryAddWithoutValidation("X-Forwarded-For", "203.0.113.9");
        request.Headers.TryAddWithoutValidation("Accept", BrowserAccept);

        using var response = await client.SendAsync(request, Ct);

        Assert.Equal(expected, response.StatusCode);
        if (expected == HttpStatusCode.Redirect)
        {
            Assert.StartsWith("https://docs.tribuo.cloud/login?", response.Headers.Location!.ToString());
        }
    }

    [Fact]
    public async Task The_same_headers_from_an_untrusted_client_change_nothing()
    {
        await using var gateway = Start(trusted: false);

        using var start = await SendAsync(gateway, "/guide");

        Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);
        Assert.StartsWith("http://docs.tribuo.cloud/login?origin=http%3A%2F%2Fdocs.tribuo.cloud%2Fguide", start.Headers.Location!.ToString());
        Assert.DoesNotContain("secure", start.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("tribuo_login=", StringComparison.Ordinal)), StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// A sibling subdomain can set <c>tribuo_login</c> (Domain=.tribuo.cloud), and, in a browser that checks cookie
    /// prefixes case-sensitively, <c>__host-tribuo_login</c> too (an outside review: the gateway matched any case).
    /// Only the exact <c>__Host-</c> name binds, and only alone.
    /// </summary>
    [Theory]
    [InlineData("tribuo_login=TOSSED")]
    [InlineData("__host-tribuo_login=TOSSED")]
    [InlineData("__HOST-TRIBUO_LOGIN=TOSSED")]
    [InlineData("__Host-Tribuo_Login=TOSSED")]
    [InlineData("__host-tribuo_login=TOSSED; __Host-tribuo_login=TOSSED")]
    [InlineData("__Host-tribuo_login=TOSSED; __Host-tribuo_login=OTHER")]
    public async Task On_https_a_tossed_binding_cookie_does_not_let_a_foreign_token_replace_a_valid_session(string tossed)
    {
        await using var gateway = Start(trusted: true);
        var victim = await TokenForStoredUserAsync(gateway, "victim");
        var mallory = await TokenForStoredUserAsync(gateway, "mallory");

        using var back = await SendAsync(gateway, $"/guide?tribuo_login=TOSSED&token={mallory}", cookie: $"tribuo_cloud_token={victim}; {tossed}");

        Assert.Equal(HttpStatusCode.Redirect, back.StatusCode);
        Assert.Equal("https://docs.tribuo.cloud/guide", back.Headers.Location!.ToString());
        Assert.DoesNotContain(back.Headers.TryGetValues("Set-Cookie", out var set) ? set : [], c => c.StartsWith("tribuo_cloud_token=", StringComparison.Ordinal));
    }

    /// <summary>A token for a stored user, as the hub hands back after a login.</summary>
    private static async Task<string> TokenForStoredUserAsync(GatewayApp gateway, string name = "tls")
    {
        var store = gateway.Services.GetRequiredService<IUserStore>();
        var id = "30000000000000000" + (name == "tls" ? "1" : name == "victim" ? "2" : "3");
        var user = (await store.CreateAsync(new ExternalLogin { Provider = "test", Subject = name, Email = $"{name}@acme.fr" }, id, null, Ct))!;
        return gateway.Services.GetRequiredService<TokenService>().Issue(user);
    }
}
