using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Tribuo.Gateway.Http;
using Tribuo.Gateway.Keys;
using Tribuo.Gateway.Routes;
using Tribuo.Gateway.Storage;

namespace Tribuo.Gateway.Operations;

/// <summary>
/// <c>/healthz</c>: the process answers. <c>/readyz</c>: routes loaded, every configured store reachable and the keys
/// file imported (before that, a key only the file holds answers 401: a load balancer must not send traffic yet). Both on
/// ASP.NET Core health checks, answering GET and HEAD; one check per configured store, registered when the stores
/// are known (configuration is read at resolution time), each bounded so a hung store cannot hang the probe.
/// </summary>
internal static class HealthEndpoints
{
    private const string RoutesCheck = "routes";
    private const string KeysFileCheck = "keys-file";
    private const string StoreTag = "store";
    private static readonly TimeSpan StoreCheckTimeout = TimeSpan.FromSeconds(2);
    private static readonly string[] Methods = [HttpMethods.Get, HttpMethods.Head];

    public static IServiceCollection AddGatewayHealthChecks(this IServiceCollection services)
    {
        services.AddHealthChecks();
        services.AddSingleton<IConfigureOptions<HealthCheckServiceOptions>>(sp => new ConfigureOptions<HealthCheckServiceOptions>(options =>
        {
            options.Registrations.Add(new HealthCheckRegistration(RoutesCheck, s => new RoutesLoaded(s.GetRequiredService<RoutesFileConfigProvider>()), HealthStatus.Unhealthy, []));
            options.Registrations.Add(new HealthCheckRegistration(KeysFileCheck, s => new KeysFileImported(s.GetRequiredService<KeySeeder>()), HealthStatus.Unhealthy, []));
            foreach (var store in sp.GetRequiredService<IReadOnlyList<IStoreCheck>>())
            {
                options.Registrations.Add(new HealthCheckRegistration(store.Name, _ => new StoreReachable(store), HealthStatus.Unhealthy, [StoreTag]));
            }
        }));
        return services;
    }

    public static void MapHealth(this RouteGroupBuilder gateway)
    {
        gateway.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false }).WithMetadata(new HttpMethodMetadata(Methods));
        gateway.MapHealthChecks("/readyz", new HealthCheckOptions { ResponseWriter = WriteReadinessAsync }).WithMetadata(new HttpMethodMetadata(Methods));
    }

    private static Task WriteReadinessAsync(HttpContext context, HealthReport report)
    {
        var stores = report.Entries.Where(e => e.Value.Tags.Contains(StoreTag))
            .Select(e => new StoreReadiness(e.Key, e.Value.Status == HealthStatus.Healthy ? null : e.Value.Description)).ToArray();
        var ready = report.Status == HealthStatus.Healthy;
        var readiness = new ReadinessReport(ready ? "ready" : "unready", Problem(report, RoutesCheck), stores, Problem(report, KeysFileCheck));
        return context.Response.WriteAsJsonAsync(readiness, GatewayJsonContext.Relaxed.ReadinessReport);
    }

    private static string? Problem(HealthReport report, string check) =>
        report.Entries.TryGetValue(check, out var entry) && entry.Status != HealthStatus.Healthy ? entry.Description : null;

    private sealed class RoutesLoaded(RoutesFileConfigProvider routes) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(routes.Snapshot is null ? HealthCheckResult.Unhealthy("routes are not loaded") : HealthCheckResult.Healthy());
    }

    /// <summary>
    /// The keys file's import has finished (at once when there is none). It retries while the store cannot be
    /// reached, and usually ends a few milliseconds after the listener starts.
    /// </summary>
    private sealed class KeysFileImported(KeySeeder seeder) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(seeder.Completed.Task.IsCompletedSuccessfully
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy("the keys file is not imported yet"));
    }

    /// <summary>The store's own answer; never the exception, whose text could carry a connection string.</summary>
    private sealed class StoreReachable(IStoreCheck store) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                var problem = await store.CheckAsync(cancellationToken).WaitAsync(StoreCheckTimeout, cancellationToken);
                return problem is null ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy(problem);
            }
            catch (TimeoutException)
            {
                return HealthCheckResult.Unhealthy($"{store.Name} did not answer within {StoreCheckTimeout.TotalSeconds:0} s");
            }
        }
    }
}

internal sealed record ReadinessReport(string Status, string? Routes, IReadOnlyList<StoreReadiness> Stores, string? KeysFile);

internal sealed record StoreReadiness(string Name, string? Problem);
