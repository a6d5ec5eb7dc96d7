using Tribuo.Gateway.Routes;

namespace Tribuo.Gateway.Proxy;

internal static class ProxyRoute
{
    /// <summary>The matched route's policy. Deny by default: an endpoint without one is <see cref="RoutePolicy.Closed"/>.</summary>
    public static RoutePolicy Policy(HttpContext context) =>
        context.GetEndpoint()?.Metadata.GetMetadata<RoutePolicy>() ?? RoutePolicy.Closed;
}
