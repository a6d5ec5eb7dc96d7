using Microsoft.AspNetCore.Http.HttpResults;
using Tribuo.Gateway.Keys;

namespace Tribuo.Gateway.Operations;

internal static class MetricsEndpoints
{
    /// <summary>
    /// <c>GET /metrics</c>: OpenTelemetry's Prometheus exporter, for keys holding <c>*</c>, <c>gateway:admin</c>
    /// or <c>gateway:metrics</c> (Prometheus sends one with <c>authorization: { type: KEY, credentials: … }</c>).
    /// With metrics off nothing is mapped, and the path is a gateway 404 like any unknown reserved path.
    /// </summary>
    public static void MapMetrics(this RouteGroupBuilder gateway, IServiceProvider services)
    {
        if (!services.GetRequiredService<ObservabilitySettings>().Metrics)
        {
            return;
        }

        var access = AdminAccess.ForMetrics(services);
        // The exporter answers any method; a scrape is a GET (or HEAD), and anything else is a 405 like on every gateway path.
        gateway.MapPrometheusScrapingEndpoint("/metrics", meterProvider: null, pipeline => pipeline.Use((context, next) => AuthorizeAsync(access, context, next)), optionsName: null)
            .WithMetadata(new HttpMethodMetadata([HttpMethods.Get, HttpMethods.Head]));
    }

    /// <summary>The exporter is a middleware, not a route handler, so the admin-key filter is run here by hand.</summary>
    private static async Task AuthorizeAsync(AdminAccess access, HttpContext context, RequestDelegate next)
    {
        var allowed = false;
        await access.InvokeAsync(new DefaultEndpointFilterInvocationContext(context), _ =>
        {
            allowed = true;
            return ValueTask.FromResult<object?>(null);
        });
        if (allowed)
        {
            await next(context);
        }
    }
}
