using System.Net;
using System.Net.Sockets;
using System.Text;
using Tribuo.Gateway.Tests.Infrastructure;
using Xunit;

namespace Tribuo.Gateway.Tests.Proxy;

public sealed class ForwardingTests : IAsyncLifetime
{
    private EchoUpstream _upstream = null!;
    private GatewayApp _gateway = null!;
    private HttpClient _client = null!;

    public async ValueTask InitializeAsync()
    {
        _upstream = await EchoUpstream.StartAsync();
        _gateway = GatewayApp.Start(RoutesJson.With(_upstream.Address,
            RoutesJson.Route("open", "/open/{**rest}", "public"),
            RoutesJson.Route("closed", "/closed/{**rest}", "key", "\"Scopes\": \"x\""),
            RoutesJson.Route("catch-all", "/{**rest}", "public")));
        await _gateway.KeysFileImportedAsync();
        _client = _gateway.NewClient();
    }

    [Fact]
    public async Task Method_path_query_body_and_headers_reach_the_upstream()
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, "/open/items/42?x=1&y=%C3%A9")
        {
            Content = new StringContent("{\"name\":\"é\"}", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Custom", "kept");

        using var response = await _client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var echoed = EchoedRequest.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("PUT", echoed.Method);
        Assert.Equal("/open/items/42", echoed.Path);
        Assert.Equal("?x=1&y=%C3%A9", echoed.Query);
        Assert.Equal("{\"name\":\"é\"}", echoed.Body);
        Assert.Equal("kept", echoed.Header("X-Custom"));
        Assert.StartsWith("application/json", echoed.Header("Content-Type"));
        Assert.Equal("127.0.0.1", echoed.Header("X-Forwarded-For"));
    }

    [Theory]
    [InlineData("X-Tribuo-User-Id")]
    [InlineData("x-tribuo-user-role")]
    [InlineData("X_Tribuo_User_Email")]
    [InlineData("x_tribuo-key-id")]
    [InlineData("X-TRIBUO-ASSERTION")]
    [InlineData("X-Tribuo-Anything-New")]
    public async Task Forged_identity_headers_never_reach_the_upstream(string name)
    {
        // A raw request: HttpClient would refuse some of these names, a real attacker's client does not.
        var response = await RawHttp.SendAsync(_gateway.BaseAddress,
            $"GET /open/forged HTTP/1.1\r\nHost: localhost\r\n{name}: admin\r\n{name}: second\r\nConnection: {name}, close\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 200", response);
        var echoed = _upstream.Received.Last(r => r.Path == "/open/forged");
        Assert.DoesNotContain(echoed.Headers.Keys, key => key.Replace('_', '-').StartsWith("x-tribuo-", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Forwarding_headers_sent_by_a_client_are_replaced_by_the_real_connection()
    {
        var response = await RawHttp.SendAsync(_gateway.BaseAddress,
            "GET /open/xff HTTP/1.1\r\nHost: localhost\r\nX-Forwarded-For: 6.6.6.6\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: admin.internal\r\nForwarded: for=6.6.6.6\r\nConnection: close\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 200", response);
        var echoed = _upstream.Received.Last(r => r.Path == "/open/xff");
        Assert.Equal(["127.0.0.1"], echoed.Headers["X-Forwarded-For"]);
        Assert.Equal(["http"], echoed.Headers["X-Forwarded-Proto"]);
        Assert.Equal(["localhost"], echoed.Headers["X-Forwarded-Host"]);
        Assert.False(echoed.Headers.ContainsKey("Forwarded"));
    }

    /// <summary>A CGI-style upstream reads <c>X_Forwarded_For</c> as <c>X-Forwarded-For</c> and merges the two, client's first.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Forwarding_headers_spelled_with_underscores_never_reach_the_upstream(bool fromTrustedProxy)
    {
        await using var gateway = GatewayApp.Start(RoutesJson.With(_upstream.Address, RoutesJson.Route("open", "/open/{**rest}", "public")),
            fromTrustedProxy ? new Dictionary<string, string?> { ["Gateway:TrustedProxies:0"] = "127.0.0.0/8" } : null);
        var path = "/open/underscore-" + fromTrustedProxy;

        var response = await RawHttp.SendAsync(gateway.BaseAddress,
            $"GET {path} HTTP/1.1\r\nHost: localhost\r\nX_Forwarded_For: 6.6.6.6\r\nx_forwarded_proto: https\r\nX_FORWARDED_HOST: admin.internal\r\nX_Forwarded-Prefix: /admin\r\nConnection: close\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 200", response);
        var echoed = _upstream.Received.Last(r => r.Path == path);
        Assert.DoesNotContain(echoed.Headers.Keys, key => key.Contains('_'));
        Assert.Equal("127.0.0.1", string.Join(",", echoed.Headers["X-Forwarded-For"]));
    }

    [Fact]
    public async Task Behind_a_trusted_proxy_the_upstream_gets_the_client_address()
    {
        await using var gateway = GatewayApp.Start(RoutesJson.With(_upstream.Address, RoutesJson.Route("open", "/open/{**rest}", "public")),
            new Dictionary<string, string?> { ["Gateway:TrustedProxies:0"] = "127.0.0.0/8" });

        var response = await RawHttp.SendAsync(gateway.BaseAddress,
            "GET /open/trusted HTTP/1.1\r\nHost: localhost\r\nX-Forwarded-For: 203.0.113.7\r\nConnection: close\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 200", response);
        // The trusted hop was resolved by ASP.NET Core's forwarded headers (issue 8 item 6): the request's
        // address is the client's, which is what the upstream is told.
        Assert.Equal("203.0.113.7", string.Join(",", _upstream.Received.Last(r => r.Path == "/open/trusted").Headers["X-Forwarded-For"]).Replace(" ", ""));
    }

    /// <summary>
    /// Routes that only overlap (README, "routes.json") leave ASP.NET Core routing no answer but a 500; an outside review
    /// found it empty, because routing ran ahead of the gateway's error handling.
    /// </summary>
    [Fact]
    public async Task Two_routes_that_both_match_a_request_give_a_500_problem_and_forward_nothing()
    {
        static (string, string) OnHeader(string id, string header) =>
            (id, $$"""{ "ClusterId": "up", "Match": { "Path": "/both", "Headers": [ { "Name": "{{header}}", "Mode": "Exists" } ] }, "Metadata": { "Auth": "public" } }""");
        await using var gateway = GatewayApp.Start(RoutesJson.With(_upstream.Address, OnHeader("by-a", "X-A"), OnHeader("by-b", "X-B")));
        _upstream.ClearReceived();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/both");
        request.Headers.Add("X-A", "1");
        request.Headers.Add("X-B", "1");
        using var response = await gateway.NewClient().SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Empty(_upstream.Received);
    }

    [Fact]
    public async Task A_dead_upstream_is_a_502_problem()
    {
        await using var gateway = GatewayApp.Start(RoutesJson.With("http://127.0.0.1:9/", RoutesJson.Route("dead", "/dead", "public")));
        using var response = await gateway.NewClient().GetAsync("/dead", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Upstream unreachable", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_route_that_needs_a_credential_refuses_without_one_and_forwards_nothing()
    {
        using var response = await _client.GetAsync("/closed/secret", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("KEY realm=\"tribuo\"", response.Headers.WwwAuthenticate.ToString());
        Assert.DoesNotContain(_upstream.Received, r => r.Path.StartsWith("/closed"));
    }

    [Theory]
    [InlineData("/healthz", HttpStatusCode.OK)]
    [InlineData("/readyz", HttpStatusCode.OK)]
    [InlineData("/auth/anything", HttpStatusCode.NotFound)]
    [InlineData("/login", HttpStatusCode.BadRequest)]
    [InlineData("/gateway/whatever/deep", HttpStatusCode.NotFound)]
    [InlineData("/.well-known/unknown", HttpStatusCode.NotFound)]
    [InlineData("/AUTH/x", HttpStatusCode.NotFound)]
    public async Task Gateway_paths_win_over_a_catch_all_route_and_are_never_proxied(string path, HttpStatusCode expected)
    {
        _upstream.ClearReceived();
        using var response = await _client.GetAsync(path, TestContext.Current.CancellationToken);

        Assert.Equal(expected, response.StatusCode);
        Assert.Empty(_upstream.Received);
    }

    [Fact]
    public async Task Other_paths_fall_through_to_the_catch_all_route()
    {
        using var response = await _client.GetAsync("/authority/x", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("/authority/x", EchoedRequest.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).Path);
    }

    [Theory]
    [InlineData("/closed%2fx")]
    [InlineData("/open/..%2fclosed/x")]
    [InlineData("/open/%2e%2e/closed/x")]
    [InlineData("/open\\..\\closed/x")]
    [InlineData("/open;jsessionid=1/../closed/x")]
    [InlineData("/closed;x=1/y")]
    [InlineData("//closed/x")]
    [InlineData("/open//x")]
    [InlineData("/open/%252e%252e/closed")]
    [InlineData("/open/%5c..%5cclosed")]
    [InlineData("/open/%c0%ae%c0%ae/closed/x")]
    [InlineData("/open/%ff")]
    [InlineData("/open/%u002e%u002e/closed")]
    [InlineData("/open/%0a/x")]
    [InlineData("/open/%zz")]
    [InlineData("/closed./x")] // an outside review: Windows servers serve /closed/x, routing gave it to the catch-all
    [InlineData("/closed%20/x")]
    [InlineData("/open/x.")]
    [InlineData("/open/.../closed")]
    [InlineData("/auth./x")]
    [InlineData("/auth/../closed./x")] // an outside probe: a gateway path as sent skipped the check, /closed./x was forwarded
    [InlineData("/healthz/../open/x.")]
    [InlineData("/login/../closed%20/x")]
    public async Task Ambiguous_paths_are_refused_before_routing(string target)
    {
        _upstream.ClearReceived();
        var response = await RawHttp.SendAsync(_gateway.BaseAddress, $"GET {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 400", response);
        Assert.Empty(_upstream.Received);
    }

    /// <summary>
    /// An outside probe: <c>head</c> went to the GET route and reached the upstream as HEAD, while Kestrel, reading it as a
    /// method of its own, expected a body and answered 500. Standard methods in another case are refused, as nginx does.
    /// </summary>
    [Theory]
    [InlineData("head", "HEAD")]
    [InlineData("Get", "GET")]
    [InlineData("pOST", "POST")]
    public async Task A_standard_method_in_another_case_is_refused_before_routing(string sent, string standard)
    {
        _upstream.ClearReceived();
        var response = await RawHttp.SendAsync(_gateway.BaseAddress, $"{sent} /open/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 400", response);
        Assert.Contains($"send {standard}", response);
        Assert.Empty(_upstream.Received);
    }

    /// <summary>An outside probe: a header with UTF-8 in its value was a 502 "Upstream unreachable" (HttpClient sends ASCII only).</summary>
    [Fact]
    public async Task A_header_value_with_UTF8_reaches_the_upstream_as_sent()
    {
        using var handler = new SocketsHttpHandler { RequestHeaderEncodingSelector = (_, _) => Encoding.UTF8 };
        using var client = new HttpClient(handler) { BaseAddress = _gateway.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/open/utf8");
        request.Headers.TryAddWithoutValidation("X-Name", "Élodie Ørsted");

        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Élodie Ørsted", EchoedRequest.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).Header("X-Name"));
    }

    /// <summary>An outside probe: Kestrel lets a raw tab through in a query, and <c>token&lt;TAB&gt;=</c> reached the upstream.</summary>
    [Fact]
    public async Task A_token_parameter_with_a_raw_tab_in_its_name_is_removed()
    {
        var response = await RawHttp.SendAsync(_gateway.BaseAddress, "GET /open/tab?a=1&token\t=leak1&\ttoken=leak2&b=2 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 200", response);
        var echoed = _upstream.Received.Last(r => r.Path == "/open/tab");
        Assert.DoesNotContain("leak", echoed.Query);
        Assert.Contains("a=1", echoed.Query);
        Assert.Contains("b=2", echoed.Query);
    }

    /// <summary>An outside probe: Symfony, Laravel and Express read <c>?_method=DELETE</c> on a POST as a DELETE.</summary>
    [Fact]
    public async Task A_method_override_query_parameter_is_removed()
    {
        var response = await RawHttp.SendAsync(_gateway.BaseAddress, "POST /open/override?a=1&_method=DELETE&_METHOD=PUT&b=2 HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 200", response);
        var echoed = _upstream.Received.Last(r => r.Path == "/open/override");
        Assert.Equal("?a=1&b=2", echoed.Query);
    }

    /// <summary>
    /// An outside probe: an upstream behind a public route set the gateway's session cookie (session fixation) and the
    /// login binding a crafted ?token= link needs to replace a valid session.
    /// </summary>
    [Fact]
    public async Task An_upstream_cannot_set_the_gateways_own_cookies()
    {
        _upstream.SetHeaders("/open/cookies",
            new("Set-Cookie", "tribuo_cloud_token=fixed; Path=/"), new("Set-Cookie", "TRIBUO_LOGIN=abc; Path=/"),
            new("Set-Cookie", "__Host-tribuo_login=abc; Path=/; Secure"), new("Set-Cookie", "site=kept; Path=/"));

        using var response = await _client.GetAsync("/open/cookies", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["site=kept; Path=/"], response.Headers.GetValues("Set-Cookie"));
    }

    [Fact]
    public async Task Valid_escapes_are_routed_and_forwarded()
    {
        foreach (var target in (string[])["/open/caf%C3%A9%20menu", "/open/v1.2/file.txt", "/open/./x", "/open/.well-known/x"])
        {
            var response = await RawHttp.SendAsync(_gateway.BaseAddress, $"GET {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
            Assert.StartsWith("HTTP/1.1 200", response);
        }
    }

    [Fact]
    public async Task Dot_segments_are_resolved_before_routing_so_the_scope_check_sees_what_the_upstream_sees()
    {
        var response = await RawHttp.SendAsync(_gateway.BaseAddress, "GET /open/../closed/x HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");

        // Kestrel normalizes to /closed/x, which is the key route: refused, not served by the public one.
        Assert.StartsWith("HTTP/1.1 401", response);
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _gateway.DisposeAsync();
        await _upstream.DisposeAsync();
    }
}
