using Yarp.ReverseProxy.Configuration;

namespace Tribuo.Gateway.Routes;

/// <summary>
/// YARP's route fields that name an ASP.NET Core policy: authorization, CORS, rate limiting, output caching and
/// request timeouts. Each works only with its ASP.NET Core middleware, which the gateway does not run, because it
/// has its own for each of them. YARP itself refused a policy name it could not find, but took the special ones: a
/// <c>RateLimiterPolicy</c> of <c>default</c> limited nothing, and an <c>AuthorizationPolicy</c> of <c>default</c>, any
/// <c>CorsPolicy</c> and any <c>Timeout</c> made every request on the route a 500. Now each is refused, and the message
/// names what the gateway uses instead.
/// </summary>
internal static class FrameworkPolicies
{
    public static void Check(RouteConfig route, List<ConfigError> errors)
    {
        var subject = $"route '{route.RouteId}'";
        Refuse(route.AuthorizationPolicy, nameof(RouteConfig.AuthorizationPolicy), "who may call a route is Metadata.Auth, with Scopes, Roles or Companies");
        Refuse(route.CorsPolicy, nameof(RouteConfig.CorsPolicy), "the gateway answers CORS preflights itself, from the site keys' origins and the login hub's AllowedOrigins");
        Refuse(route.RateLimiterPolicy, nameof(RouteConfig.RateLimiterPolicy), "use Metadata.RateLimit");
        Refuse(route.OutputCachePolicy, nameof(RouteConfig.OutputCachePolicy), "the gateway does not cache answers");
        Refuse(route.TimeoutPolicy, nameof(RouteConfig.TimeoutPolicy), "set the cluster's HttpRequest.ActivityTimeout or Gateway:Proxy:UpstreamTimeout");
        if (route.Timeout is not null)
        {
            errors.Add(new(subject, nameof(RouteConfig.Timeout), Message("set the cluster's HttpRequest.ActivityTimeout or Gateway:Proxy:UpstreamTimeout")));
        }

        void Refuse(string? value, string field, string instead)
        {
            if (value is not null)
            {
                errors.Add(new(subject, field, Message(instead)));
            }
        }
    }

    private static string Message(string instead) => $"is an ASP.NET Core policy, which the gateway does not apply; {instead}.";
}
