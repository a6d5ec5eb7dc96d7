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
