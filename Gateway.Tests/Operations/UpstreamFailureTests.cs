using System.Net;
using System.Net.Sockets;
using Tribuo.Gateway.Tests.Infrastructure;
using Xunit;
using static Tribuo.Gateway.Tests.Operations.ObservedGateway;

namespace Tribuo.Gateway.Tests.Operations;

public sealed class UpstreamFailureTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Each_failed_health_probe_is_one_warning_line_without_a_stack_trace()
    {
        var deadPort = LoopbackPort.GetFree();
        var routes = $$"""
            {
              "Routes": { "probed": { "ClusterId": "probed", "Match": { "Path": "/probed/{**rest}" }, "Metadata": { "Auth": "public" } } },
              "Clusters": {
                "probed": {
                  "HealthCheck": { "Active": { "Enabled": true, "Interval": "00:00:01", "Timeout": "00:00:02", "Policy": "ConsecutiveFailures", "Path": "/health" } },
                  "Destinations": { "a": { "Address": "http://127.0.0.1:{{deadPort}}/" } }
                }
              }
            }
            """;
        await using var gateway = await StartAsync(routes);

        Assert.True(await EventuallyAsync(() => ProbeLines(gateway).Count >= 3), "expected three failed probes to be logged");

        Assert.All(ProbeLines(gateway), line =>
            Assert.Matches($@"^Warning .*Health probe failed: cluster probed, destination a \(http://127\.0\.0\.1:{deadPort}/\): HttpRequestException: Connection refused", line));
        Assert.DoesNotContain(gateway.Logs, l => l.Contains("   at ", StringComparison.Ordinal));
        // YARP's own per-probe warning (a stack trace each) is off; its one line per health change stays.
        Assert.DoesNotContain(gateway.Logs, l => l.Contains("Yarp.ReverseProxy.Health.ActiveHealthCheckMonitor", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_silent_upstream_gets_504_after_the_gateway_default_timeout_and_a_cluster_may_set_its_own()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var accepted = new List<TcpClient>();
        _ = Task.Run(async () =>
        {
            // Accepts connections and never answers.
            while (true)
            {
                accepted.Add(await silent.AcceptTcpClientAsync(Ct));
            }
        }, Ct);
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        var routes = $$"""
            {
              "Routes": {
                "slow-default": { "ClusterId": "default", "Match": { "Path": "/default/{**rest}" }, "Metadata": { "Auth": "public" } },
                "slow-own":     { "ClusterId": "own",     "Match": { "Path": "/own/{**rest}" },     "Metadata": { "Auth": "public" } }
              },
              "Clusters": {
                "default": { "Destinations": { "a": { "Address": "http://127.0.0.1:{{port}}/" } } },
                "own":     { "HttpRequest": { "ActivityTimeout": "00:00:01" }, "Destinations": { "a": { "Address": "http://127.0.0.1:{{port}}/" } } }
              }
            }
            """;
        await using (var gateway = await StartAsync(routes, new Dictionary<string, string?> { ["Gateway:Proxy:UpstreamTimeout"] = "00:00:01" }))
        {
            using var client = gateway.NewClient();
            var (status, body) = await GetAsync(client, "/default/x");

            Assert.Equal(HttpStatusCode.GatewayTimeout, status);
            Assert.Contains("Upstream timed out", body);
            Assert.Single(gateway.Logs, l => l.Contains("Upstream failure RequestTimedOut on route slow-default", StringComparison.Ordinal));
        }

        // A gateway default far beyond the test's patience: only the cluster's own 1 s can answer in time.
        await using (var gateway = await StartAsync(routes, new Dictionary<string, string?> { ["Gateway:Proxy:UpstreamTimeout"] = "00:30:00" }))
        {
            using var client = gateway.NewClient();
            client.Timeout = TimeSpan.FromSeconds(60);
            Assert.Equal(HttpStatusCode.GatewayTimeout, (await GetAsync(client, "/own/x")).Status);
        }

        foreach (var connection in accepted.ToArray())
        {
            connection.Dispose();
        }
    }

    [Fact]
    public async Task Unreadable_observability_settings_stop_the_gateway_with_exit_code_2_naming_them()
    {
        var result = await GatewayProcess.RunAsync(TimeSpan.FromSeconds(90), "--Gateway:Metrics:Enabled=yes", "--Gateway:Proxy:UpstreamTimeout=30s",
            $"--Gateway:DataDir={Directory.CreateTempSubdirectory("tgw-bad-settings-").FullName}", "--urls=http://127.0.0.1:0");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Gateway:Metrics:Enabled: 'yes' is not true or false.", result.Error);
        Assert.Contains("Gateway:Proxy:UpstreamTimeout: '30s'", result.Error);
        Assert.DoesNotContain("   at ", result.Output + result.Error);
    }

    private static List<string> ProbeLines(GatewayApp gateway) => gateway.Logs.Where(l => l.Contains("Health probe failed", StringComparison.Ordinal)).ToList();
}
