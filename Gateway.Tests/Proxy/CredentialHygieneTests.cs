using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Tribuo.Gateway.Tests.Infrastructure;
using Tribuo.Gateway.Tokens;
using Tribuo.Gateway.Users;
using Xunit;
using static Tribuo.Gateway.Tests.Keys.KeysTestBed;

namespace Tribuo.Gateway.Tests.Proxy;

/// <summary>
/// DESIGN §7: none of the gateway's credentials reach an upstream, on any route; the rest of the request
/// (the Cookie header byte for byte, other query parameters) does; override headers and TRACE do not.
/// Real Redis, real upstream, raw requests where HttpClient would tidy up what a client sends.
/// </summary>
public sealed class CredentialHygieneTests(RedisFixture redis) : IClassFixture<RedisFixture>, IAsyncLifetime
{
    private const string OtherCookies = "a=x%3B%20admin%3Dtrue; dup=1; dup=2; json={\"role\":\"admin\"}; empty=; spaced=two words; q=\"quoted\"";

    private Keys.KeysTestBed _bed = null!;
    private GatewayApp _gateway = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _bed = await Keys.KeysTestBed.StartAsync(redis.RequireServer());
        _gateway = _bed.StartGateway();
        await _bed.SeedKeysAsync(_gateway);
    }

    public ValueTask DisposeAsync() => _bed.DisposeAsync();

    private async Task<string> UserTokenAsync()
    {
        var users = _gateway.Services.GetRequiredService<IUserStore>();
        var user = await users.CreateAsync(new ExternalLogin { Provider = "test", Subject = "u1", Email = "u1@tribuo.fr", Name = "U" }, Guid.NewGuid().ToString("n"), null, Ct)
            ?? (await users.FindByEmailAsync("u1@tribuo.fr", Ct))!;
        return _gateway.Services.GetRequiredService<TokenService>().Issue(user);
    }

    private async Task<EchoedRequest> SendRawAsync(string target, string headers, string expectedStatus = "200")
    {
        var marker = Guid.NewGuid().ToString("n");
        var separator = target.Contains('?') ? "&" : "?";
        var response = await RawHttp.SendAsync(_gateway.BaseAddress,
            $"GET {target}{separator}m={marker} HTTP/1.1\r\nHost: localhost\r\n{headers}Connection: close\r\n\r\n");
        Assert.True(response.StartsWith($"HTTP/1.1 {expectedStatus}", StringComparison.Ordinal), response);
        return _bed.Upstream.Received.Single(r => r.Query.Contains(marker, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("/pub/x")]
    [InlineData("/docs/x")]
    [InlineData("/any/x")]
    public async Task A_key_request_forwards_no_authorization_no_session_cookie_and_no_token_parameter(string path)
    {
        var token = await UserTokenAsync();

        var echoed = await SendRawAsync($"{path}?x=1&token={token}&Token=t2&to%6Ben=t3&y=%20z",
            $"Authorization: KEY {StarSecret}\r\nCookie: {OtherCookies}; tribuo_cloud_token={token}\r\n");

        Assert.False(echoed.Headers.ContainsKey("Authorization"));
        Assert.Equal([OtherCookies], echoed.Headers["Cookie"]);
        Assert.StartsWith("?x=1&y=%20z&m=", echoed.Query);
        Assert.DoesNotContain(token, string.Join('\n', echoed.Headers.SelectMany(h => h.Value)) + echoed.Query);
    }

    [Fact]
    public async Task On_an_any_route_the_authorization_header_is_the_credential_and_the_cookie_is_not_forwarded()
    {
        var token = await UserTokenAsync();

        var echoed = await SendRawAsync("/any/x", $"Cookie: tribuo_cloud_token={token}; {OtherCookies}\r\nAuthorization: KEY {ReaderSecret}\r\n");

        Assert.Equal("reader", echoed.Header("X-Tribuo-Key-Id"));
        Assert.Null(echoed.Header("X-Tribuo-User-Id"));
        Assert.False(echoed.Headers.ContainsKey("Authorization"));
        Assert.Equal([OtherCookies], echoed.Headers["Cookie"]);
    }

    [Fact]
    public async Task A_user_token_is_never_forwarded_as_cookie_or_bearer()
    {
        var token = await UserTokenAsync();

        var onlySession = await SendRawAsync("/any/x", $"Cookie: tribuo_cloud_token={token}\r\n");
        var withBearer = await SendRawAsync("/user/x", $"Authorization: Bearer {token}\r\nCookie: {OtherCookies}\r\n");

        Assert.NotNull(onlySession.Header("X-Tribuo-User-Id"));
        Assert.False(onlySession.Headers.ContainsKey("Cookie"));
        Assert.False(withBearer.Headers.ContainsKey("Authorization"));
        Assert.Equal([OtherCookies], withBearer.Headers["Cookie"]);
    }

    [Theory]
    [InlineData("/pub/page")]
    [InlineData("/docs/page")]
    public async Task A_page_load_with_a_token_on_a_route_without_sessions_is_sent_to_the_same_url_without_it(string path)
    {
        var token = await UserTokenAsync();
        using var client = _gateway.NewClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{path}?a=1&token={token}&b=2");
        request.Headers.TryAddWithoutValidation("Accept", "text/html");

        using var response = await client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal($"{_gateway.BaseAddress.GetLeftPart(UriPartial.Authority)}{path}?a=1&b=2", response.Headers.Location?.ToString());
        Assert.False(response.Headers.Contains("Set-Cookie"));
        Assert.DoesNotContain(_bed.Upstream.Received, r => r.Path == path);
    }

    [Fact]
    public async Task Two_session_cookies_are_refused_not_resolved_by_order()
    {
        var token = await UserTokenAsync();

        var response = await RawHttp.SendAsync(_gateway.BaseAddress,
            $"GET /any/two HTTP/1.1\r\nHost: localhost\r\nCookie: tribuo_cloud_token={token}; tribuo_cloud_token=forged\r\nConnection: close\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 401", response);
        Assert.DoesNotContain(_bed.Upstream.Received, r => r.Path == "/any/two");
    }

    /// <summary>An outside review: lenient upstream parsers read these as the session cookie or the token parameter.</summary>
    [Fact]
    public async Task The_session_cookie_and_the_token_parameter_are_removed_in_the_spellings_lenient_parsers_read()
    {
        var echoed = await SendRawAsync("/pub/x?a=1;token=SECRET1&token[]=SECRET2&token%00=SECRET3&TOKEN%20=SECRET4&b=2",
            "Cookie: Tribuo_Cloud_Token=SECRET5; a=1\r\nCookie: c=3,  tribuo_cloud_token=SECRET6, d=4; e=5\r\n");

        var forwarded = string.Join('\n', echoed.Headers.SelectMany(h => h.Value)) + echoed.Query;
        Assert.DoesNotContain("SECRET", forwarded);
        Assert.StartsWith("?b=2&m=", echoed.Query);
        Assert.Equal("a=1; e=5", string.Join("; ", echoed.Headers["Cookie"]));
    }

    /// <summary>An outside probe: PHP's $_COOKIE reads each of these names as tribuo_cloud_token, and each reached the upstream.</summary>
    [Fact]
    public async Task The_session_cookie_is_removed_under_every_name_php_reads_as_it()
    {
        var echoed = await SendRawAsync("/pub/x",
            "Cookie: a=1; tribuo%5Fcloud%5Ftoken=SECRET1; tribuo.cloud.token=SECRET2; tribuo cloud+token=SECRET3; b=2\r\n" +
            "Cookie: tribuo_cloud_token[x]=SECRET4; c=3;  TRIBUO[CLOUD_TOKEN=SECRET5; %74ribuo_cloud_token=SECRET6; d=%41\r\n");

        var forwarded = string.Join('\n', echoed.Headers.SelectMany(h => h.Value));
        Assert.DoesNotContain("SECRET", forwarded);
        Assert.Equal("a=1; b=2; c=3; d=%41", string.Join("; ", echoed.Headers["Cookie"]));
    }

    [Fact]
    public async Task An_empty_host_is_not_forwarded_beside_the_destinations_own()
    {
        var marker = Guid.NewGuid().ToString("n");
        var response = await RawHttp.SendAsync(_gateway.BaseAddress, $"GET /pub/x?m={marker} HTTP/1.1\r\nHost:\r\nConnection: close\r\n\r\n");

        Assert.True(response.StartsWith("HTTP/1.1 200", StringComparison.Ordinal), response);
        var echoed = _bed.Upstream.Received.Single(r => r.Query.Contains(marker, StringComparison.Ordinal));
        Assert.Single(echoed.Headers["Host"]);
        Assert.NotEqual("", echoed.Header("Host"));
    }

    [Fact]
    public async Task A_session_cookie_and_another_spelling_of_it_are_two_cookies()
    {
        var token = await UserTokenAsync();

        var response = await RawHttp.SendAsync(_gateway.BaseAddress,
            $"GET /any/spelled HTTP/1.1\r\nHost: localhost\r\nCookie: tribuo_cloud_token={token}; Tribuo_Cloud_Token=forged\r\nConnection: close\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 401", response);
        Assert.DoesNotContain(_bed.Upstream.Received, r => r.Path == "/any/spelled");
    }

    [Fact]
    public async Task Without_the_session_pair_the_cookie_header_is_not_touched()
    {
        var echoed = await SendRawAsync("/pub/x", $"Cookie: {OtherCookies};tight=1\r\n");

        Assert.Equal([OtherCookies + ";tight=1"], echoed.Headers["Cookie"]);
    }

    [Fact]
    public async Task Forward_authorization_still_forwards_the_header_but_not_the_session_cookie()
    {
        var echoed = await SendRawAsync("/fwd/x", $"Authorization: KEY {ReaderSecret}\r\nCookie: tribuo_cloud_token=abc\r\n");

        Assert.Equal($"KEY {ReaderSecret}", echoed.Header("Authorization"));
        Assert.False(echoed.Headers.ContainsKey("Cookie"));
    }

    [Theory]
    [InlineData("X-Real-IP")]
    [InlineData("True-Client-IP")]
    [InlineData("X-Client-IP")]
    [InlineData("CF-Connecting-IP")]
    [InlineData("X-Original-Forwarded-For")]
    [InlineData("X-Forwarded-Port")]
    [InlineData("X-Forwarded-Server")]
    [InlineData("X-Forwarded-Scheme")]
    [InlineData("X-Original-URL")]
    [InlineData("x-rewrite-url")]
    [InlineData("X_Original_URL")]
    [InlineData("X-HTTP-Method-Override")]
    [InlineData("X-HTTP-Method")]
    [InlineData("X-Method-Override")]
    [InlineData("Client-IP")]
    [InlineData("X-Cluster-Client-IP")]
    [InlineData("Fastly-Client-IP")]
    [InlineData("X-Forwarded-Protocol")]
    [InlineData("X-Forwarded-Ssl")]
    [InlineData("Front-End-Https")]
    [InlineData("X_Url_Scheme")]
    [InlineData("X-Original-Host")]
    [InlineData("X-Host")]
    [InlineData("X-Forwarded-Uri")]
    [InlineData("X-Forwarded-Method")]
    [InlineData("X-Original-For")] // ASP.NET Core's forwarded headers write these three behind a trusted balancer (outside review)
    [InlineData("X-Original-Proto")]
    [InlineData("X-Original-Prefix")]
    [InlineData("X-Scheme")] // an outside probe: Tornado, gunicorn, django-ipware, request-ip, App Engine, Envoy, ARR, Cloudflare read these
    [InlineData("SCRIPT_NAME")]
    [InlineData("X-Forwarded")]
    [InlineData("Forwarded-For")]
    [InlineData("X-Appengine-User-IP")]
    [InlineData("X-Envoy-External-Address")]
    [InlineData("X-Arr-Ssl")]
    [InlineData("Cf-Visitor")]
    [InlineData("X-Original-URI")]
    [InlineData("X-Forwarded-Path")]
    [InlineData("X-Envoy-Original-Path")]
    [InlineData("X-Original-Method")]
    public async Task Headers_upstreams_read_as_address_path_or_method_are_removed(string name)
    {
        var echoed = await SendRawAsync("/pub/x", $"{name}: /admin/x\r\n{name}: 6.6.6.6\r\nX-Kept: yes\r\n");

        Assert.DoesNotContain(echoed.Headers.Keys, k => k.Replace('_', '-').Equals(name.Replace('_', '-'), StringComparison.OrdinalIgnoreCase));
        Assert.Equal("yes", echoed.Header("X-Kept"));
    }

    [Theory]
    [InlineData("/pub/trace")]
    [InlineData("/docs/trace")]
    public async Task Trace_is_refused_with_405(string path)
    {
        using var client = _gateway.NewClient();
        using var request = new HttpRequestMessage(HttpMethod.Trace, path);
        request.Headers.TryAddWithoutValidation("Authorization", $"KEY {StarSecret}");

        using var response = await client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain(_bed.Upstream.Received, r => r.Path == path);
    }

    /// <summary>An outside review: CONNECT reached YARP, which cannot send it, and came back a 502 logged as an upstream failure.</summary>
    [Fact]
    public async Task Connect_is_refused_with_405()
    {
        var response = await RawHttp.SendAsync(_gateway.BaseAddress, $"CONNECT /pub/connect HTTP/1.1\r\nHost: localhost\r\nAuthorization: KEY {StarSecret}\r\nConnection: close\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 405", response);
        Assert.DoesNotContain(_bed.Upstream.Received, r => r.Path == "/pub/connect");
    }
}
