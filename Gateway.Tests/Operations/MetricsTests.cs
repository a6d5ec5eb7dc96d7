using System.Net;
using Tribuo.Gateway.Tests.Infrastructure;
using Xunit;
using static Tribuo.Gateway.Tests.Operations.ObservedGateway;

namespace Tribuo.Gateway.Tests.Operations;

public sealed class MetricsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // Route ids are unique to this class: meters with the same name in other tests' gateways (same process) may be seen too.
    [Fact]
    public async Task Metrics_count_requests_by_route_status_and_auth_and_pass_promtool_with_the_standard_families()
    {
        await using var upstream = await EchoUpstream.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        await using var gateway = await StartAsync(RoutesJson.With(upstream.Address,
            RoutesJson.Route("metrics-open", "/open", "public"),
            RoutesJson.Route("metrics-api", "/api", "key", "\"Scopes\": \"api\""),
            RoutesJson.Route("metrics-any", "/any", "any")),
            new Dictionary<string, string?> { ["Gateway:Login:AllowedOrigins:0"] = "https://docs.tribuo.test" });
        using var client = gateway.NewClient();
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/any");
        preflight.Headers.Add("Origin", "https://docs.tribuo.test");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        Assert.Equal(HttpStatusCode.NoContent, (await client.SendAsync(preflight, TestContext.Current.CancellationToken)).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await GetAsync(client, "/open?token=tgw_test-in-a-query")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync(client, "/api")).Status);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(client, "/api", ServiceSecret)).Status);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(client, "/api", ServiceSecret)).Status);
        gateway.WriteRoutes("{ \"Routes\": { \"broken\": { \"ClusterId\": \"nowhere\" } } }");
        Assert.True(await EventuallyAsync(() => gateway.Logs.Any(l => l.Contains("change rejected"))), "the invalid routes file was never rejected");

        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync(client, "/metrics")).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await GetAsync(client, "/metrics", ServiceSecret)).Status);
        var (status, text) = await GetAsync(client, "/metrics", MetricsSecret);

        Assert.Equal(HttpStatusCode.OK, status);
        var samples = PrometheusScrape.Parse(text);
        Assert.Equal(1, PrometheusScrape.Value(samples, "tribuo_gateway_requests_total", ("route", "metrics-open"), ("status", "200"), ("auth", "public")));
        Assert.Equal(1, PrometheusScrape.Value(samples, "tribuo_gateway_requests_total", ("route", "metrics-api"), ("status", "401"), ("auth", "refused")));
        Assert.Equal(2, PrometheusScrape.Value(samples, "tribuo_gateway_requests_total", ("route", "metrics-api"), ("status", "200"), ("auth", "key")));
        Assert.Equal(1, PrometheusScrape.Value(samples, "tribuo_gateway_requests_total", ("route", "metrics-any"), ("status", "204"), ("auth", "preflight")));
        Assert.Equal(3, PrometheusScrape.Value(samples, "tribuo_gateway_request_duration_seconds_count", ("route", "metrics-api")));
        Assert.Equal(3, PrometheusScrape.Value(samples, "tribuo_gateway_request_duration_seconds_bucket", ("route", "metrics-api"), ("le", "+Inf")));
        Assert.Contains(samples, s => s.Name == "tribuo_gateway_key_cache_total" && s.Labels["result"] == "hit" && s.Value >= 1);
        Assert.Contains(samples, s => s.Name == "tribuo_gateway_config_reloads_total" && s.Labels["result"] == "rejected" && s.Value >= 1);
        Assert.Contains(samples, s => s.Name == "tribuo_gateway_requests_in_flight");
        Assert.All(samples.Where(s => s.Name == "tribuo_gateway_requests_total"),
            s => Assert.Equal(["auth", "route", "status"], s.Labels.Keys.Order()));

        // The standard families: runtime (GC, thread pool), process, Kestrel, the HttpClient that reached the upstream.
        Assert.Contains(samples, s => s.Name.StartsWith("dotnet_gc_", StringComparison.Ordinal));
        Assert.Contains(samples, s => s.Name.StartsWith("dotnet_process_", StringComparison.Ordinal));
        Assert.Contains(samples, s => s.Name.StartsWith("kestrel_", StringComparison.Ordinal));
        Assert.Contains(samples, s => s.Name.StartsWith("http_client_request_duration_seconds", StringComparison.Ordinal));
        Assert.DoesNotContain("tgw_test", text);
        Assert.DoesNotContain("token", text);

        await PrometheusScrape.CheckWithPromtoolAsync(text);
    }

    [Fact]
    public async Task Metrics_can_be_turned_off_and_metrics_is_then_a_gateway_404()
    {
        await using var upstream = await EchoUpstream.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        await using var gateway = await StartAsync(RoutesJson.With(upstream.Address, RoutesJson.Route("metrics-off", "/off", "public")),
            new Dictionary<string, string?> { ["Gateway:Metrics:Enabled"] = "false" });
        using var client = gateway.NewClient();

        Assert.Equal(HttpStatusCode.OK, (await GetAsync(client, "/off")).Status);
        var (status, body) = await GetAsync(client, "/metrics", MetricsSecret);

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Contains("\"status\":404", body);
    }

    [Fact]
    public async Task Metrics_answer_get_and_head_and_other_methods_get_a_405_with_allow()
    {
        await using var upstream = await EchoUpstream.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        await using var gateway = await StartAsync(RoutesJson.With(upstream.Address, RoutesJson.Route("catch-all", "/{**rest}", "public")));
        using var client = gateway.NewClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "KEY " + MetricsSecret);

        using var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/metrics"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        using var post = await client.PostAsync("/metrics", new StringContent("x"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, post.StatusCode);
        Assert.Equal("application/problem+json", post.Content.Headers.ContentType?.MediaType);
        Assert.Contains("GET", post.Content.Headers.Allow);
        Assert.DoesNotContain(upstream.Received, r => r.Path == "/metrics");
    }
    [Theory]
    [InlineData(null, false)]
    [InlineData("true", true)]
    public async Task HttpClients_per_request_gauges_are_published_only_when_asked_for(string? upstreamGauges, bool published)
    {
        await using var upstream = await EchoUpstream.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        var route = published ? "metrics-gauges-on" : "metrics-gauges-off";
        await using var gateway = await StartAsync(RoutesJson.With(upstream.Address, RoutesJson.Route(route, "/" + route, "public")),
            new Dictionary<string, string?> { ["Gateway:Metrics:UpstreamGauges"] = upstreamGauges });
        using var client = gateway.NewClient();

        Assert.Equal(HttpStatusCode.OK, (await GetAsync(client, "/" + route)).Status);
        var samples = PrometheusScrape.Parse((await GetAsync(client, "/metrics", MetricsSecret)).Body);

        Assert.Contains(samples, s => s.Name.StartsWith("http_client_request_duration_seconds", StringComparison.Ordinal));
        Assert.Equal(published, samples.Any(s => s.Name.StartsWith("http_client_active_requests", StringComparison.Ordinal)));
        Assert.Equal(published, samples.Any(s => s.Name.StartsWith("http_client_open_connections", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Each_gateway_reports_its_own_requests_only()
    {
        await using var upstream = await EchoUpstream.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        var routes = RoutesJson.With(upstream.Address, RoutesJson.Route("metrics-twin", "/twin", "public"));
        await using var first = await StartAsync(routes);
        await using var second = await StartAsync(routes);
        using var firstClient = first.NewClient();
        using var secondClient = second.NewClient();

        Assert.Equal(HttpStatusCode.OK, (await GetAsync(firstClient, "/twin")).Status);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(firstClient, "/twin")).Status);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(secondClient, "/twin")).Status);

        var firstSamples = PrometheusScrape.Parse((await GetAsync(firstClient, "/metrics", MetricsSecret)).Body);
        var secondSamples = PrometheusScrape.Parse((await GetAsync(secondClient, "/metrics", MetricsSecret)).Body);
        Assert.Equal(2, PrometheusScrape.Value(firstSamples, "tribuo_gateway_requests_total", ("route", "metrics-twin")));
        Assert.Equal(1, PrometheusScrape.Value(secondSamples, "tribuo_gateway_requests_total", ("route", "metrics-twin")));
    }
}
