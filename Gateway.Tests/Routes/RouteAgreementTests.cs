using Microsoft.Extensions.DependencyInjection;
using Tribuo.Gateway.Keys;
using Tribuo.Gateway.Tests.Infrastructure;
using Xunit;

namespace Tribuo.Gateway.Tests.Routes;

/// <summary>
/// DESIGN §3: a request matches the route the upstream will resolve it to, or is refused. An outside review reached
/// narrower, stricter routes through broader ones by spellings the upstream reads as the same request: HEAD for a
/// GET-only route, <c>X_Mode</c> for a route matching <c>X-Mode</c>, a host with a trailing dot.
/// </summary>
public sealed class RouteAgreementTests : IAsyncLifetime
{
    private const string SecretA = "tgw_test-agreement-scope-a-0001";
    private const string SecretB = "tgw_test-agreement-scope-b-0001";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private EchoUpstream _upstream = null!;
    private GatewayApp _gateway = null!;

    public async ValueTask InitializeAsync()
    {
        _upstream = await EchoUpstream.StartAsync(cancellationToken: Ct);
        var keysFile = Path.Combine(Directory.CreateTempSubdirectory("tgw-agreement-").FullName, "keys.json");
        await File.WriteAllTextAsync(keysFile, $$"""
            { "Keys": [
              { "Id": "a", "Name": "A", "Secret": "{{SecretA}}", "Scopes": ["a"] },
              { "Id": "b", "Name": "B", "Secret": "{{SecretB}}", "Scopes": ["b"] } ] }
            """, Ct);
        var routes = $$"""
            { "Routes": {
                "broad":  { "ClusterId": "up", "Match": { "Path": "/svc/{**rest}" }, "Metadata": { "Auth": "key", "Scopes": "a" } },
                "report": { "ClusterId": "up", "Match": { "Path": "/svc/report", "Methods": [ "GET" ] }, "Metadata": { "Auth": "key", "Scopes": "b" } },
                "mode":   { "ClusterId": "up", "Match": { "Path": "/svc/h", "Headers": [ { "Name": "X-Mode", "Values": [ "admin" ] } ] }, "Metadata": { "Auth": "key", "Scopes": "b" } },
                "pubmode": { "ClusterId": "up", "Match": { "Path": "/svc/p", "Headers": [ { "Name": "X-Mode", "Values": [ "public" ] } ] }, "Metadata": { "Auth": "public" } },
                "pubq":   { "ClusterId": "up", "Match": { "Path": "/svc/q", "QueryParameters": [ { "Name": "mode", "Values": [ "public" ] } ] }, "Metadata": { "Auth": "public" } },
                "secure": { "ClusterId": "up", "Match": { "Hosts": [ "secure.test" ], "Path": "/{**rest}" }, "Metadata": { "Auth": "key", "Scopes": "b" } },
                "open":   { "ClusterId": "up", "Order": 10, "Match": { "Path": "/{**rest}" }, "Metadata": { "Auth": "public" } }
              },
              "Clusters": { "up": { "Destinations": { "d": { "Address": "{{_upstream.Address}}" } } } } }
            """;
        _gateway = GatewayApp.Start(routes, new Dictionary<string, string?> { ["Gateway:KeysFile"] = keysFile });
        await _gateway.KeysFileImportedAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    private Task<string> SendAsync(string requestLine, string host, string secret, string extraHeaders = "") =>
        RawHttp.SendAsync(_gateway.BaseAddress, $"{requestLine} HTTP/1.1\r\nHost: {host}\r\nAuthorization: KEY {secret}\r\n{extraHeaders}Connection: close\r\n\r\n");

    [Fact]
    public async Task Head_takes_the_route_of_get()
    {
        Assert.StartsWith("HTTP/1.1 403", await SendAsync("HEAD /svc/report", "localhost", SecretA));
        Assert.StartsWith("HTTP/1.1 403", await SendAsync("GET /svc/report", "localhost", SecretA));
        Assert.StartsWith("HTTP/1.1 200", await SendAsync("HEAD /svc/report", "localhost", SecretB));
        Assert.StartsWith("HTTP/1.1 200", await SendAsync("POST /svc/report", "localhost", SecretA)); // other methods: the broad route
    }

    [Fact]
    public async Task A_header_a_route_matches_on_is_not_taken_in_its_underscore_spelling()
    {
        Assert.StartsWith("HTTP/1.1 403", await SendAsync("GET /svc/h", "localhost", SecretA, "X-Mode: admin\r\n"));

        Assert.StartsWith("HTTP/1.1 200", await SendAsync("GET /svc/h?via=underscore", "localhost", SecretA, "X_Mode: admin\r\nX_Other: kept\r\n"));
        var echoed = _upstream.Received.Last(r => r.Path == "/svc/h");
        Assert.DoesNotContain(echoed.Headers.Keys, k => k.Equals("X_Mode", StringComparison.OrdinalIgnoreCase));
        Assert.Equal("kept", echoed.Header("X_Other"));
    }

    /// <summary>
    /// An outside probe: a public route chosen by <c>X-Mode: public</c> (or <c>?mode=public</c>) was also chosen when the
    /// request sent <c>admin</c> beside it, and the upstream got both, reading the first.
    /// </summary>
    [Theory]
    [InlineData("GET /svc/p", "X-Mode: admin\r\nX-Mode: public\r\n")]
    [InlineData("GET /svc/p", "X-Mode: admin, public\r\n")]
    [InlineData("GET /svc/p", "X-Mode: \"public\"\r\n")]
    [InlineData("GET /svc/q?mode=admin&mode=public", "")]
    [InlineData("GET /svc/q?MODE=admin&mode=public", "")]
    public async Task A_value_a_route_matched_on_sent_twice_or_as_a_list_is_refused(string requestLine, string headers)
    {
        var answer = await RawHttp.SendAsync(_gateway.BaseAddress, $"{requestLine} HTTP/1.1\r\nHost: localhost\r\n{headers}Connection: close\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 400", answer);
        Assert.Contains("send it once", answer);
        Assert.DoesNotContain(_upstream.Received, r => r.Path is "/svc/p" or "/svc/q" && (r.Header("X-Mode") ?? "").Contains("admin") || r.Query.Contains("admin"));
    }

    [Fact]
    public async Task A_single_matched_value_still_reaches_its_route()
    {
        Assert.StartsWith("HTTP/1.1 200", await RawHttp.SendAsync(_gateway.BaseAddress, "GET /svc/p HTTP/1.1\r\nHost: localhost\r\nX-Mode: public\r\nConnection: close\r\n\r\n"));
        Assert.StartsWith("HTTP/1.1 200", await RawHttp.SendAsync(_gateway.BaseAddress, "GET /svc/q?mode=public&other=1&other=2 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"));
        Assert.StartsWith("HTTP/1.1 401", await RawHttp.SendAsync(_gateway.BaseAddress, "GET /svc/p HTTP/1.1\r\nHost: localhost\r\nX-Mode: admin\r\nConnection: close\r\n\r\n"));
    }

    /// <summary>An outside probe: <c>Host: .wild.test</c> matched a <c>*.wild.test</c> route.</summary>
    [Theory]
    [InlineData(".secure.test")]
    [InlineData("a..secure.test")]
    public async Task A_host_with_an_empty_label_is_refused(string host)
    {
        var answer = await SendAsync("GET /empty-label", host, SecretA);
        Assert.StartsWith("HTTP/1.1 400", answer);
        Assert.DoesNotContain(_upstream.Received, r => r.Path == "/empty-label");
    }

    [Fact]
    public async Task A_host_with_a_trailing_dot_is_refused_not_sent_to_a_broader_route()
    {
        Assert.StartsWith("HTTP/1.1 403", await SendAsync("GET /x", "secure.test", SecretA));
        var answer = await SendAsync("GET /x", "secure.test.", SecretA);
        Assert.StartsWith("HTTP/1.1 400", answer);
        Assert.Contains("application/problem+json", answer);
        Assert.DoesNotContain(_upstream.Received, r => r.Path == "/x");
    }
}
