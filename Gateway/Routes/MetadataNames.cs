using Yarp.ReverseProxy.Configuration;

namespace Tribuo.Gateway.Routes;

/// <summary>
/// Fail closed on <c>Metadata</c> names (DESIGN §3): a name the gateway does not know is an error, so that a
/// typo (<c>Companie</c>, <c>Role</c>, <c>Scope</c>) can never drop a rule and open a route. The operator's
/// own annotations start with <c>x-</c> and are ignored.
/// </summary>
internal static class MetadataNames
{
    public static readonly string[] Known =
        [MetadataKeys.Auth, MetadataKeys.Scopes, MetadataKeys.Roles, MetadataKeys.Companies, MetadataKeys.RateLimit, MetadataKeys.ForwardAuthorization];

    public static void Check(RouteConfig route, ICollection<ConfigError> errors)
    {
        foreach (var name in route.Metadata?.Keys ?? [])
        {
            if (name.StartsWith("x-", StringComparison.OrdinalIgnoreCase) || Known.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                continue;
            }

            errors.Add(new($"route '{route.RouteId}'", $"Metadata.{name}",
                $"'{name}' is not a gateway setting; use one of {string.Join(", ", Known)}, or start your own annotations with 'x-'."));
        }
    }
}
