namespace Tribuo.Gateway.Http;

/// <summary>
/// The group every endpoint the gateway answers itself hangs from. Routing compares <c>Order</c> before
/// anything else, so: the gateway's endpoints first, then a 404 for any other path under a reserved prefix,
/// and only then proxy routes. A catch-all route such as <c>/{**rest}</c>, even with a negative
/// <c>Order</c>, can never shadow <c>/healthz</c> or <c>/auth/...</c>.
/// </summary>
internal static class GatewayEndpoints
{
    public const int Order = -1_000_000;
    public const int ReservedFallbackOrder = Order + 1;
    /// <summary>The lowest order a proxy route gets.</summary>
    public const int FirstProxyOrder = Order + 2;

    public static RouteGroupBuilder MapGatewayEndpoints(this WebApplication app)
    {
        var fallbacks = app.MapGroup("");
        WithOrder(fallbacks, ReservedFallbackOrder);
        foreach (var segment in ReservedPaths.FirstSegments)
        {
            fallbacks.Map($"/{segment}/{{**rest}}", NotFound);
            fallbacks.Map($"/{segment}", NotFound);
        }

        var gateway = app.MapGroup("");
        WithOrder(gateway, Order);
        return gateway;
    }

    private static void WithOrder(RouteGroupBuilder group, int order) =>
        ((IEndpointConventionBuilder)group).Add(endpoint =>
        {
            if (endpoint is RouteEndpointBuilder route)
            {
                route.Order = order;
            }
        });

    private static Task NotFound(HttpContext context)
    {
        // A gateway path asked with another method lands here too (this fallback takes every method): say so.
        var allowed = context.RequestServices.GetRequiredService<GatewayPathMethods>().AllowedFor(context.Request.Path);
        if (allowed.Count > 0)
        {
            context.Response.Headers.Allow = string.Join(", ", allowed);
            return Problem.WriteAsync(context, StatusCodes.Status405MethodNotAllowed, "Method not allowed",
                $"This endpoint answers {string.Join(", ", allowed)}, not {context.Request.Method}.");
        }

        return Problem.WriteAsync(context, StatusCodes.Status404NotFound, "Not found", "The gateway has no endpoint at this path. Paths under this prefix belong to the gateway and are never proxied.");
    }
}

/// <summary>The methods each of the gateway's own paths answers, read once from the endpoint table.</summary>
internal sealed class GatewayPathMethods(EndpointDataSource endpoints)
{
    private readonly Lazy<(Microsoft.AspNetCore.Routing.Template.TemplateMatcher Matcher, IReadOnlyList<string> Methods)[]> _paths = new(() =>
        endpoints.Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Order == GatewayEndpoints.Order && e.Metadata.GetMetadata<IHttpMethodMetadata>() is not null)
            .Select(e => (new Microsoft.AspNetCore.Routing.Template.TemplateMatcher(new Microsoft.AspNetCore.Routing.Template.RouteTemplate(e.RoutePattern), new RouteValueDictionary()),
                e.Metadata.GetMetadata<IHttpMethodMetadata>()!.HttpMethods))
            .ToArray());

    public IReadOnlyList<string> AllowedFor(PathString path) =>
        _paths.Value.Where(p => p.Matcher.TryMatch(path, new RouteValueDictionary())).SelectMany(p => p.Methods).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
}
