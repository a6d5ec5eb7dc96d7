using Tribuo.Gateway.Keys;
using Tribuo.Gateway.Proxy;
using Tribuo.Gateway.Routes;

namespace Tribuo.Gateway.Operations;

internal static class MetricsEndpoints
{
    /// <summary>
    /// <c>GET /metrics</c> in Prometheus' text format, for keys holding <c>*</c>, <c>gateway:admin</c> or
    /// <c>gateway:metrics</c> (Prometheus sends one with <c>authorization: { type: KEY, credentials: … }</c>).
    /// </summary>
    public static void MapMetrics(this RouteGroupBuilder gateway, IServiceProvider services) =>
        gateway.MapGet("/metrics", (GatewayMetrics metrics) => Results.Text(metrics.Render(), "text/plain; version=0.0.4; charset=utf-8"))
            .AddEndpointFilter(AdminAccess.ForMetrics(services));

    /// <summary>The first proxy pipeline step: counts every proxied request once its answer is decided.</summary>
    public static async Task RecordAsync(HttpContext context, Func<Task> next, GatewayMetrics metrics)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            await next();
        }
        finally
        {
            var policy = context.GetEndpoint()?.Metadata.GetMetadata<RoutePolicy>();
            var caller = context.Features.Get<GatewayCaller>();
            var auth = policy?.Auth == AuthMode.Public ? "public"
                : caller?.User is not null ? "user"
                : caller?.KeyId is not null ? "key"
                : "refused";
            metrics.Request(policy?.RouteId ?? "", context.Response.StatusCode, auth, System.Diagnostics.Stopwatch.GetElapsedTime(started));
        }
    }
}
