using Tribuo.Gateway.Proxy;
using Yarp.ReverseProxy.Configuration;

namespace Tribuo.Gateway.Routes;

/// <summary>
/// A route's <c>Transforms</c> may not write what the gateway alone asserts or removes (DESIGN §7): the
/// <c>X-Tribuo-*</c> identity headers (a <c>RequestHeaderRouteValue</c> into <c>X-Tribuo-User-Id</c> let the client
/// choose its "user id"), the headers upstreams read as the client address, scheme, path or method, the forwarding
/// headers (the gateway writes them; a route that wants another form uses YARP's <c>X-Forwarded</c> transform), the
/// <c>Cookie</c> header (the session cookie is cut out of it) and the <c>token</c> query parameter. A route may set
/// <c>Authorization</c>: an upstream's own service credential is a legitimate use.
/// </summary>
internal static class TransformRules
{
    private static readonly string[] HeaderWriters = ["RequestHeader", "RequestHeaderRouteValue"];
    private static readonly string[] QueryWriters = ["QueryValueParameter", "QueryRouteParameter"];

    public static void Check(RouteConfig route, ICollection<ConfigError> errors)
    {
        var index = 0;
        foreach (var transform in route.Transforms ?? [])
        {
            foreach (var (name, value) in transform ?? new Dictionary<string, string>())
            {
                if (value is null)
                {
                    continue;
                }

                if (HeaderWriters.Contains(name, StringComparer.OrdinalIgnoreCase) && Forbidden(value))
                {
                    errors.Add(new($"route '{route.RouteId}'", $"Transforms[{index}].{name}",
                        $"'{value}' is a header the gateway alone writes or removes (X-Tribuo-*, client address, scheme, path, method, forwarding, Cookie); a transform may not set it."));
                }
                else if (QueryWriters.Contains(name, StringComparer.OrdinalIgnoreCase) && value.Equals("token", StringComparison.OrdinalIgnoreCase))
                {
                    errors.Add(new($"route '{route.RouteId}'", $"Transforms[{index}].{name}",
                        "'token' never reaches an upstream (DESIGN §7); a transform may not add it."));
                }
            }

            index++;
        }
    }

    private static bool Forbidden(string header) =>
        ClientIdentityHeaders.IsInNamespace(header)
        || OverrideHeaders.IsOverride(header)
        || ForwardedHeaders.IsClientHeader(header)
        || HeaderName.Is(header, "Cookie");
}
