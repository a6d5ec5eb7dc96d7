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

    private static Task NotFound(HttpContext context) =>
        Problem.WriteAsync(context, StatusCodes.Status404NotFound, "Not found", "The gateway has no endpoint at this path. Paths under this prefix belong to the gateway and are never proxied.");
}
