using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Tribuo.Gateway.Keys;
using Tribuo.Gateway.Tests.Infrastructure;
using Xunit;

namespace Tribuo.Gateway.Tests.Operations;

public sealed class MetricsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Metrics_count_requests_by_route_status_and_auth_for_metrics_keys_only()
    {
        await using var upstream = await EchoUpstream.StartAsync();
        var keysFile = Path.Combine(Path.GetTempPath(), $"tgw-keys-{Guid.NewGuid():n}.json");
        await File.WriteAllTextAsync(keysFile, """
            { "Keys": [
              { "Id": "prometheus", "Name": "Prometheus", "Secret": "tgw_test-metrics-secret-01", "Scopes": ["gateway:metrics"] },
              { "Id": "service", "Name": "Service", "Secret": "tgw_test-service-secret-02", "Scopes": ["api"] }
            ] }
            """, Ct);
        try
        {
            await using var gateway = GatewayApp.Start(RoutesJson.With(upstream.Address,
                RoutesJson.Route("open", "/open", "public"),
                RoutesJson.Route("api", "/api", "key", "\"Scopes\": \"api\"")), new Dictionary<string, string?> { ["Gateway:KeysFile"] = keysFile });
            await gateway.Services.GetRequiredService<KeySeeder>().Completed.Task;
            using var client = gateway.NewClient();
            async Task<HttpStatusCode> Get(string path, string? secret = null)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, path);
                if (secret is not null)
                {
                    request.Headers.TryAddWithoutValidation("Authorization", $"KEY {secret}");
                }

                using var response = await client.SendAsync(request, Ct);
                return response.StatusCode;
            }

            Assert.Equal(HttpStatusCode.OK, await Get("/open"));
            Assert.Equal(HttpStatusCode.Unauthorized, await Get("/api"));
            Assert.Equal(HttpStatusCode.OK, await Get("/api", "tgw_test-service-secret-02"));
            Assert.Equal(HttpStatusCode.OK, await Get("/api", "tgw_test-service-secret-02"));

            Assert.Equal(HttpStatusCode.Unauthorized, await Get("/metrics"));
            Assert.Equal(HttpStatusCode.Forbidden, await Get("/metrics", "tgw_test-service-secret-02"));
            using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
            request.Headers.TryAddWithoutValidation("Authorization", "KEY tgw_test-metrics-secret-01");
            using var response = await client.SendAsync(request, Ct);
            var text = await response.Content.ReadAsStringAsync(Ct);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains("tribuo_gateway_requests_total{route=\"open\",status=\"200\",auth=\"public\"} 1\n", text);
            Assert.Contains("tribuo_gateway_requests_total{route=\"api\",status=\"401\",auth=\"refused\"} 1\n", text);
            Assert.Contains("tribuo_gateway_requests_total{route=\"api\",status=\"200\",auth=\"key\"} 2\n", text);
            Assert.Contains("tribuo_gateway_request_duration_seconds_count{route=\"api\"} 3\n", text);
            Assert.Matches("tribuo_gateway_key_cache_total\\{result=\"hit\"\\} [1-9]", text);
            Assert.DoesNotContain("tgw_test", text);
        }
        finally
        {
            File.Delete(keysFile);
        }
    }
}
