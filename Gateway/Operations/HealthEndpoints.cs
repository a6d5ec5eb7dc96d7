using Tribuo.Gateway.Http;
using Tribuo.Gateway.Routes;
using Tribuo.Gateway.Storage;

namespace Tribuo.Gateway.Operations;

/// <summary><c>/healthz</c>: the process answers. <c>/readyz</c>: routes loaded and every configured store reachable.</summary>
internal static class HealthEndpoints
{
    private static readonly TimeSpan StoreCheckTimeout = TimeSpan.FromSeconds(2);

    public static void MapHealth(this RouteGroupBuilder gateway)
    {
        gateway.MapGet("/healthz", () => Results.Text("ok\n", "text/plain"));
        gateway.MapGet("/readyz", ReadyAsync);
    }

    private static async Task ReadyAsync(HttpContext context, RoutesFileConfigProvider routes, IReadOnlyList<IStoreCheck> stores)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        timeout.CancelAfter(StoreCheckTimeout);

        var checks = stores.Select(async store => new StoreReadiness(store.Name, await CheckAsync(store, timeout.Token))).ToArray();
        var results = await Task.WhenAll(checks);
        var routesProblem = routes.Snapshot is null ? "routes are not loaded" : null;
        var ready = routesProblem is null && results.All(r => r.Problem is null);

        var report = new ReadinessReport(ready ? "ready" : "unready", routesProblem, results);
        context.Response.StatusCode = ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.CacheControl = "no-store";
        await context.Response.WriteAsJsonAsync(report, GatewayJsonContext.Relaxed.ReadinessReport);
    }

    private static async Task<string?> CheckAsync(IStoreCheck store, CancellationToken cancellationToken)
    {
        try
        {
            return await store.CheckAsync(cancellationToken).WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return $"{store.Name} did not answer within {StoreCheckTimeout.TotalSeconds:0} s";
        }
    }
}

internal sealed record ReadinessReport(string Status, string? Routes, IReadOnlyList<StoreReadiness> Stores);

internal sealed record StoreReadiness(string Name, string? Problem);
