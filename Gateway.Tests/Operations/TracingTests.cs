using System.Net;
using System.Text;
using Tribuo.Gateway.Tests.Infrastructure;
using Xunit;
using static Tribuo.Gateway.Tests.Operations.ObservedGateway;

namespace Tribuo.Gateway.Tests.Operations;

public sealed class TracingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task With_an_otlp_endpoint_spans_reach_the_collector_and_the_upstream_gets_the_same_trace_id()
    {
        await using var collector = await OtlpReceiver.StartAsync();
        await using var upstream = await EchoUpstream.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        var routes = $$"""
            {
              "Routes": {
                "traced-api": { "ClusterId": "inside",  "Match": { "Path": "/traced/{**rest}" },  "Metadata": { "Auth": "key", "Scopes": "api" } },
                "untraced":   { "ClusterId": "outside", "Match": { "Path": "/outside/{**rest}" }, "Metadata": { "Auth": "public" } }
              },
              "Clusters": {
                "inside":  { "Destinations": { "a": { "Address": "{{upstream.Address}}" } } },
                "outside": { "Metadata": { "PropagateTraceContext": "false" }, "Destinations": { "a": { "Address": "{{upstream.Address}}" } } }
              }
            }
            """;
        await using var gateway = await StartAsync(routes, new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Endpoint,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
        });
        using var client = gateway.NewClient();

        var (status, body) = await GetAsync(client, "/traced/items?token=tgw_test-query-token", ServiceSecret);
        Assert.Equal(HttpStatusCode.OK, status);
        var traceparent = EchoedRequest.Parse(body).Header("traceparent");
        Assert.NotNull(traceparent);
        var parts = traceparent.Split('-');
        Assert.Equal(4, parts.Length);
        var traceId = Convert.FromHexString(parts[1]);
        var upstreamCallSpanId = Convert.FromHexString(parts[2]);

        Assert.True(await EventuallyAsync(() => Exported(collector).AsSpan().IndexOf(traceId) >= 0), "no span with the upstream's trace id reached the collector");
        // The upstream call's span (the parent the upstream saw) is exported too, with its server span.
        Assert.True(await EventuallyAsync(() => Exported(collector).AsSpan().IndexOf(upstreamCallSpanId) >= 0), "the upstream call's span was not exported");
        // The server span ends last (after the answer is written), so it may come in a later batch.
        Assert.True(await EventuallyAsync(() => Encoding.UTF8.GetString(Exported(collector)).Contains("traced-api", StringComparison.Ordinal)),
            "the server span with the route id was not exported");
        // On the check-token endpoints the path is the token: the span shows where it was, not what it was.
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync(client, "/check-token/tgw_test-path-token")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync(client, "/Auth/Check-Token/tgw_test-path-token")).Status);
        Assert.True(await EventuallyAsync(() => Encoding.UTF8.GetString(Exported(collector)).Contains("/auth/check-token/{token}", StringComparison.Ordinal)),
            "the check-token spans were not exported with the token hidden");
        var exported = Exported(collector);
        var text = Encoding.UTF8.GetString(exported);
        Assert.Contains("/check-token/{token}", text);
        Assert.Contains("tribuo.route", text);
        Assert.Contains("traced-api", text);
        Assert.Contains("tribuo.caller", text);
        Assert.DoesNotContain("tgw_test", text);
        Assert.DoesNotContain("token=", text);
        Assert.DoesNotContain("KEY ", text);

        var (outsideStatus, outsideBody) = await GetAsync(client, "/outside/x");
        Assert.Equal(HttpStatusCode.OK, outsideStatus);
        Assert.Null(EchoedRequest.Parse(outsideBody).Header("traceparent"));
    }

    /// <summary>
    /// An outside probe: the upstream call's url.full carried a JWT or a tgw_ key from the path in clear; a client's
    /// baggage was taken into the request's trace and written to the upstream as the gateway's; YARP's proxy.forwarder was a second Server span per request; the gateway's own
    /// endpoints' spans named no caller.
    /// </summary>
    [Fact]
    public async Task Spans_mask_the_forwarded_path_name_callers_of_gateway_endpoints_and_do_not_adopt_a_clients_baggage()
    {
        await using var collector = await OtlpReceiver.StartAsync();
        await using var upstream = await EchoUpstream.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        await using var gateway = await StartAsync(RoutesJson.With(upstream.Address, RoutesJson.Route("traced-api", "/traced/{**rest}", "key", "\"Scopes\": \"api\"")),
            new Dictionary<string, string?>
            {
                ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Endpoint,
                ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
                ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
            });
        using var client = gateway.NewClient();
        const string Jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4eHgifQ.c2lnbmF0dXJlMTIz";

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/traced/{Jwt}/tgw_path-secret-0123456789");
        request.Headers.TryAddWithoutValidation("Authorization", $"KEY {ServiceSecret}");
        request.Headers.TryAddWithoutValidation("baggage", "session=S3CR3T-baggage");
        using var response = await client.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var echoed = EchoedRequest.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.NotNull(echoed.Header("traceparent"));
        // The client's header reaches the upstream as it sent it, like any header; the tracer does not make it its own
        // (it wrote "session = S3CR3T-baggage", taken into the request's activity and injected as the gateway's).
        Assert.Equal(["session=S3CR3T-baggage"], echoed.Headers["baggage"]);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(client, "/metrics", MetricsSecret)).Status);

        Assert.True(await EventuallyAsync(() => Encoding.UTF8.GetString(Exported(collector)).Contains("/traced/{token}/{token}", StringComparison.Ordinal)),
            "the upstream call's span was not exported with its path masked");
        Assert.True(await EventuallyAsync(() => Encoding.UTF8.GetString(Exported(collector)).Contains("prometheus", StringComparison.Ordinal)),
            "the /metrics span does not name its caller");
        var text = Encoding.UTF8.GetString(Exported(collector));
        Assert.DoesNotContain("eyJhbGci", text);
        Assert.DoesNotContain("tgw_", text);
        Assert.DoesNotContain("S3CR3T", text);
        Assert.DoesNotContain("proxy.forwarder", text);
    }

    /// <summary>
    /// The per-signal variables switched tracing (and OTLP metrics) on, but the exporters read only the general ones: with
    /// only <c>OTEL_EXPORTER_OTLP_TRACES_ENDPOINT</c> set, spans went to the default <c>localhost:4317</c>. A signal's
    /// endpoint is used as given (no <c>/v1/traces</c> added), with its own protocol, as OpenTelemetry documents.
    /// </summary>
    [Fact]
    public async Task With_only_the_per_signal_variables_spans_and_metrics_reach_their_own_endpoints()
    {
        await using var collector = await OtlpReceiver.StartAsync();
        await using var upstream = await EchoUpstream.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        await using var gateway = await StartAsync(RoutesJson.With(upstream.Address, RoutesJson.Route("plain", "/plain", "public")), new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = collector.Endpoint + "/traces-here",
            ["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"] = "http/protobuf",
            ["OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"] = collector.Endpoint + "/metrics-here",
            ["OTEL_EXPORTER_OTLP_METRICS_PROTOCOL"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "200",
        });
        using var client = gateway.NewClient();

        var (status, body) = await GetAsync(client, "/plain");

        Assert.Equal(HttpStatusCode.OK, status);
        var traceparent = EchoedRequest.Parse(body).Header("traceparent");
        Assert.NotNull(traceparent);
        var traceId = Convert.FromHexString(traceparent.Split('-')[1]);
        Assert.True(await EventuallyAsync(() => collector.Bodies("/traces-here").SelectMany(b => b).ToArray().AsSpan().IndexOf(traceId) >= 0),
            "no span reached OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
        Assert.True(await EventuallyAsync(() => Encoding.UTF8.GetString(collector.Bodies("/metrics-here").SelectMany(b => b).ToArray()).Contains("tribuo_gateway", StringComparison.Ordinal)),
            "no metric reached OTEL_EXPORTER_OTLP_METRICS_ENDPOINT");
    }

    [Fact]
    public async Task Without_an_otlp_endpoint_nothing_is_propagated_upstream()
    {
        await using var upstream = await EchoUpstream.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        await using var gateway = await StartAsync(RoutesJson.With(upstream.Address, RoutesJson.Route("plain", "/plain", "public")));
        using var client = gateway.NewClient();

        var (status, body) = await GetAsync(client, "/plain");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Null(EchoedRequest.Parse(body).Header("traceparent"));
    }

    [Fact]
    public async Task A_propagation_setting_other_than_true_or_false_is_a_routes_error()
    {
        var (exitCode, output, error) = await GatewayProcess.RunAsync(TimeSpan.FromSeconds(60), "routes", "check", await WriteRoutesAsync("""
            {
              "Routes": { "r": { "ClusterId": "c", "Match": { "Path": "/r" }, "Metadata": { "Auth": "public" } } },
              "Clusters": { "c": { "Metadata": { "PropagateTraceContext": "yes" }, "Destinations": { "a": { "Address": "http://127.0.0.1:5001/" } } } }
            }
            """));

        Assert.Equal(1, exitCode);
        Assert.Contains("PropagateTraceContext", output + error);
    }

    private static async Task<string> WriteRoutesAsync(string json)
    {
        var path = Path.Combine(Path.GetTempPath(), $"tgw-routes-{Guid.NewGuid():n}.json");
        await File.WriteAllTextAsync(path, json, Ct);
        return path;
    }

    private static byte[] Exported(OtlpReceiver collector) => collector.Bodies("/v1/traces").SelectMany(b => b).ToArray();
}
