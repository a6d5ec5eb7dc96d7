using Microsoft.Extensions.DependencyInjection;
using Tribuo.Gateway.Keys;
using Tribuo.Gateway.Tests.Infrastructure;

namespace Tribuo.Gateway.Tests.Operations;

/// <summary>A gateway with two keys for the observability tests: one that may read <c>/metrics</c>, one for <c>api</c> routes.</summary>
internal static class ObservedGateway
{
    public const string MetricsSecret = "tgw_test-observe-metrics-secret-01";
    public const string ServiceSecret = "tgw_test-observe-service-secret-02";

    public static async Task<GatewayApp> StartAsync(string routesJson, IDictionary<string, string?>? settings = null)
    {
        var keysFile = Path.Combine(Path.GetTempPath(), $"tgw-keys-{Guid.NewGuid():n}.json");
        await File.WriteAllTextAsync(keysFile, $$"""
            { "Keys": [
              { "Id": "prometheus", "Name": "Prometheus", "Secret": "{{MetricsSecret}}", "Scopes": ["gateway:metrics"] },
              { "Id": "service", "Name": "Service", "Secret": "{{ServiceSecret}}", "Scopes": ["api"] }
            ] }
            """);
        try
        {
            var all = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>()) { ["Gateway:KeysFile"] = keysFile };
            var gateway = GatewayApp.Start(routesJson, all);
            await gateway.KeysFileImportedAsync();
            return gateway;
        }
        finally
        {
            File.Delete(keysFile);
        }
    }

    public static async Task<(System.Net.HttpStatusCode Status, string Body)> GetAsync(HttpClient client, string path, string? secret = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (secret is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", $"KEY {secret}");
        }

        using var response = await client.SendAsync(request, Xunit.TestContext.Current.CancellationToken);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(Xunit.TestContext.Current.CancellationToken));
    }

    /// <summary>Waits (generously) until <paramref name="condition"/> holds; false when it never did.</summary>
    public static async Task<bool> EventuallyAsync(Func<bool> condition, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(30));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(50, Xunit.TestContext.Current.CancellationToken);
        }

        return true;
    }
}
