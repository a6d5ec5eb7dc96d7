using Yarp.ReverseProxy.Configuration;

namespace Tribuo.Gateway.Routes;

/// <summary>
/// A route limited to <c>GET</c> also takes <c>HEAD</c>. Upstream frameworks answer HEAD with their GET handler
/// (Express, Flask, Go's ServeMux, nginx), so a GET-only route that did not match HEAD left HEAD to a broader
/// route with other rules: a key refused on <c>GET /svc/report</c> read its headers, and ran its side effects,
/// through <c>HEAD /svc/report</c> (DESIGN §3: matching must agree with what the upstream will serve).
/// </summary>
internal static class RouteMethods
{
    public static IReadOnlyList<string>? WithHead(IReadOnlyList<string>? methods) =>
        methods is { Count: > 0 }
        && methods.Any(m => string.Equals(m, "GET", StringComparison.OrdinalIgnoreCase))
        && !methods.Any(m => string.Equals(m, "HEAD", StringComparison.OrdinalIgnoreCase))
            ? [.. methods, "HEAD"]
            : methods;

    /// <summary>The route as YARP is given it: with <c>HEAD</c> wherever it has <c>GET</c>.</summary>
    public static RouteConfig Served(RouteConfig route) =>
        route.Match is { Methods: { } methods } match && WithHead(methods) is { } withHead && !ReferenceEquals(withHead, methods)
            ? route with { Match = match with { Methods = withHead } }
            : route;
}
