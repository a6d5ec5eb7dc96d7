using System.Net;
using System.Net.Sockets;
using Tribuo.Gateway.Tests.Infrastructure;
using Xunit;
using static Tribuo.Gateway.Tests.Operations.ObservedGateway;

namespace Tribuo.Gateway.Tests.Operations;

public sealed class AccessLogTests
{
    private const string Category = "Tribuo.Gateway.Access";

    [Fact]
    public async Task One_access_line_per_request_allowed_refused_and_failed_with_no_secret_anywhere()
    {
        await using var upstream = await EchoUpstream.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        var deadPort = LoopbackPort.GetFree();
        var routes = $$"""
            {
              "Routes": {
                "log-api":  { "ClusterId": "up",   "Match": { "Path": "/api/{**rest}" },  "Metadata": { "Auth": "key", "Scopes": "api" } },
                "log-admin": { "ClusterId": "up",  "Match": { "Path": "/admin/{**rest}" }, "Metadata": { "Auth": "key", "Scopes": "admin" } },
                "log-down": { "ClusterId": "down", "Match": { "Path": "/down/{**rest}" }, "Metadata": { "Auth": "key", "Scopes": "api" } }
              },
              "Clusters": {
                "up":   { "Destinations": { "a": { "Address": "{{upstream.Address}}" } } },
                "down": { "Destinations": { "a": { "Address": "http://127.0.0.1:{{deadPort}}/" } } }
              }
            }
            """;
        await using var gateway = await StartAsync(routes);
        using var client = gateway.NewClient();

        Assert.Equal(HttpStatusCode.OK, (await GetAsync(client, "/api/items?token=tgw_test-query-token&page=2", ServiceSecret)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await GetAsync(client, "/admin/users?token=tgw_test-query-token", ServiceSecret)).Status);
        Assert.Equal(HttpStatusCode.BadGateway, (await GetAsync(client, "/down/x?token=tgw_test-query-token", ServiceSecret)).Status);
        Assert.True(await EventuallyAsync(() => AccessLines(gateway).Count >= 3), "expected three access lines");

        var lines = AccessLines(gateway);
        Assert.Equal(3, lines.Count);
        Assert.Matches(@"^Information .*GET /api/items 200 [0-9.]+ms client=127\.0\.0\.1 route=log-api caller=service upstream=http://127\.0\.0\.1:\d+/ reason=-", lines[0]);
        Assert.Matches(@"^Information .*GET /admin/users 403 [0-9.]+ms client=127\.0\.0\.1 route=log-admin caller=service upstream=- reason=Scope missing", lines[1]);
        Assert.Matches($@"^Information .*GET /down/x 502 [0-9.]+ms client=127\.0\.0\.1 route=log-down caller=service upstream=http://127\.0\.0\.1:{deadPort}/ reason=Upstream unreachable", lines[2]);

        // The failure is one line, without a stack trace, and so is everything else the gateway wrote.
        Assert.Single(gateway.Logs, l => l.Contains("Upstream failure", StringComparison.Ordinal));
        Assert.DoesNotContain(gateway.Logs, l => l.Contains("   at ", StringComparison.Ordinal));
        Assert.DoesNotContain(gateway.Logs, l => l.Contains("tgw_test", StringComparison.Ordinal) || l.Contains("token=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task On_the_check_token_endpoints_the_token_in_the_path_is_not_logged()
    {
        await using var upstream = await EchoUpstream.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        await using var gateway = await StartAsync(RoutesJson.With(upstream.Address, RoutesJson.Route("plain", "/plain", "public")));
        using var client = gateway.NewClient();

        foreach (var path in (string[])["/check-token/tgw_test-path-token", "/auth/check-token/tgw_test-path-token", "/AUTH/check-token/tgw_test-path-token"])
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync(client, path)).Status);
        }

        Assert.True(await EventuallyAsync(() => AccessLines(gateway).Count >= 3), "expected three access lines");
        var lines = AccessLines(gateway);
        Assert.Matches(@"GET /check-token/\{token\} 401 ", lines[0]);
        Assert.Matches(@"GET /auth/check-token/\{token\} 401 ", lines[1]);
        Assert.Matches(@"GET /AUTH/check-token/\{token\} 401 ", lines[2]);
        Assert.DoesNotContain(gateway.Logs, l => l.Contains("tgw_test", StringComparison.Ordinal));
    }

    /// <summary>
    /// An outside review: spellings refused before routing (<c>//check-token/…</c>, <c>%2f</c>, a backslash) were logged
    /// as sent, token included; and a token or key put in any other path is no better in a log.
    /// </summary>
    [Fact]
    public async Task A_token_or_key_in_any_path_spelling_is_not_logged()
    {
        await using var upstream = await EchoUpstream.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        await using var gateway = await StartAsync(RoutesJson.With(upstream.Address, RoutesJson.Route("plain", "/plain/{**rest}", "public")));
        const string Jwt = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJsZWFrIn0.c2lnbmF0dXJlLWxlYWs";
        string[] targets =
        [
            $"//check-token/{Jwt}", $"/auth//check-token/{Jwt}", $"/auth\\check-token/{Jwt}", $"/check-token%2f{Jwt}",
            $"/CHECK-TOKEN%2F{Jwt}", $"/plain/{Jwt}", "/plain/x/tgw_leaked-key-secret-0123", "/plain/TGW_leaked-key-secret-0123",
            "/plain/y;token=leaked-key-secret-in-a-parameter",
        ];
        foreach (var target in targets)
        {
            var answer = await RawHttp.SendAsync(gateway.BaseAddress, $"GET {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
            Assert.StartsWith("HTTP/1.1 ", answer);
        }

        Assert.True(await EventuallyAsync(() => AccessLines(gateway).Count >= targets.Length), "expected an access line per request");
        Assert.DoesNotContain(gateway.Logs, l => l.Contains("c2lnbmF0dXJlLWxlYWs", StringComparison.Ordinal) || l.Contains("eyJzdWIi", StringComparison.Ordinal)
            || l.Contains("leaked-key-secret", StringComparison.Ordinal));
        Assert.Contains(AccessLines(gateway), l => l.Contains("GET //check-token/{token} 400 ", StringComparison.Ordinal));
        Assert.Contains(AccessLines(gateway), l => l.Contains("GET /plain/{token} 200 ", StringComparison.Ordinal));
        Assert.Contains(AccessLines(gateway), l => l.Contains("GET /plain/x/{token} 200 ", StringComparison.Ordinal));
        Assert.Contains(AccessLines(gateway), l => l.Contains("GET /plain/y;token={token} 400 ", StringComparison.Ordinal));
    }

    /// <summary>The gateway's own endpoints name their caller too (an outside review: they all said caller=-).</summary>
    [Fact]
    public async Task An_admin_or_metrics_key_on_the_gateways_own_endpoints_is_named_as_the_caller()
    {
        await using var upstream = await EchoUpstream.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        await using var gateway = await StartAsync(RoutesJson.With(upstream.Address, RoutesJson.Route("plain", "/plain", "public")));
        using var client = gateway.NewClient();

        Assert.Equal(HttpStatusCode.OK, (await GetAsync(client, "/metrics", MetricsSecret)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await GetAsync(client, "/gateway/keys", MetricsSecret)).Status);

        Assert.True(await EventuallyAsync(() => AccessLines(gateway).Count >= 2), "expected two access lines");
        var lines = AccessLines(gateway);
        Assert.Matches(@"GET /metrics 200 [0-9.]+ms client=127\.0\.0\.1 route=- caller=prometheus ", lines[0]);
        Assert.Matches(@"GET /gateway/keys 403 [0-9.]+ms client=127\.0\.0\.1 route=- caller=prometheus ", lines[1]);
    }

    /// <summary>An outside review: with Microsoft.AspNetCore at Debug, routing logged /check-token/&lt;token&gt; and Kestrel a malformed Authorization header.</summary>
    [Fact]
    public async Task Raising_the_frameworks_log_levels_logs_no_token_and_no_key()
    {
        await using var upstream = await EchoUpstream.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        await using var gateway = await StartAsync(RoutesJson.With(upstream.Address, RoutesJson.Route("plain", "/plain", "public")), new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Trace",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace",
            ["Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics"] = "Trace",
            ["Logging:LogLevel:Microsoft.AspNetCore.Routing.Matching.DfaMatcher"] = "Trace",
        });
        using var client = gateway.NewClient();

        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync(client, "/check-token/tgw_test-path-token")).Status);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(client, "/plain?token=tgw_test-query-token")).Status);
        var malformed = await RawHttp.SendAsync(gateway.BaseAddress, "GET /plain HTTP/1.1\r\nHost: a\r\nAuthorization: KEY tgw_test-header-secret\r\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 400", malformed);

        Assert.True(await EventuallyAsync(() => AccessLines(gateway).Count >= 2), "expected the access lines");
        Assert.Contains(gateway.Logs, l => l.StartsWith("Debug", StringComparison.Ordinal) || l.StartsWith("Trace", StringComparison.Ordinal));
        Assert.DoesNotContain(gateway.Logs, l => l.Contains("tgw_test", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Access_log_can_be_turned_off_with_its_log_level()
    {
        await using var upstream = await EchoUpstream.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        await using var gateway = await StartAsync(RoutesJson.With(upstream.Address, RoutesJson.Route("quiet", "/quiet", "public")),
            new Dictionary<string, string?> { [$"Logging:LogLevel:{Category}"] = "None" });
        using var client = gateway.NewClient();

        Assert.Equal(HttpStatusCode.OK, (await GetAsync(client, "/quiet")).Status);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(client, "/healthz")).Status);

        Assert.Empty(AccessLines(gateway));
    }

    [Fact]
    public async Task Access_log_stays_on_when_the_default_log_level_is_raised()
    {
        await using var upstream = await EchoUpstream.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        await using var gateway = await StartAsync(RoutesJson.With(upstream.Address, RoutesJson.Route("loud", "/loud", "public")),
            new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Warning" });
        using var client = gateway.NewClient();

        Assert.Equal(HttpStatusCode.OK, (await GetAsync(client, "/loud")).Status);

        Assert.True(await EventuallyAsync(() => AccessLines(gateway).Any(l => l.Contains("GET /loud 200", StringComparison.Ordinal))), "no access line");
    }

    /// <summary>An outside probe: the decoded path's spaces let a client write fields of its choosing ahead of the real ones.</summary>
    [Fact]
    public async Task A_path_with_encoded_spaces_cannot_forge_access_log_fields()
    {
        await using var upstream = await EchoUpstream.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        await using var gateway = await StartAsync(RoutesJson.With(upstream.Address, RoutesJson.Route("open", "/open/{**rest}", "public")));
        using var client = gateway.NewClient();

        var forged = "/open/a%20404%200.1ms%20client=10.9.9.9%20route=admin%E2%80%AFcaller=adm";
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(client, forged)).Status);

        Assert.True(await EventuallyAsync(() => AccessLines(gateway).Any(l => l.Contains("GET /open/a", StringComparison.Ordinal))), "no access line");
        var line = AccessLines(gateway).Single(l => l.Contains("GET /open/a", StringComparison.Ordinal));
        Assert.Contains("GET /open/a%20404%200.1ms%20client=10.9.9.9%20route=admin%E2%80%AFcaller=adm 200 ", line);
        Assert.DoesNotContain(" client=10.9.9.9", line);
    }

    private static List<string> AccessLines(GatewayApp gateway) => gateway.Logs.Where(l => l.Contains($" {Category}[", StringComparison.Ordinal)).ToList();

}
