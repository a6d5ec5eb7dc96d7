using System.Collections.Frozen;
using Tribuo.Gateway.Http;
using Yarp.ReverseProxy.Configuration;

namespace Tribuo.Gateway.Routes;

/// <summary>
/// Checks a parsed routes file as a whole and reports every error at once: the gateway's own rules
/// (auth metadata and its names, reserved paths, clusters that exist, no two routes matching the same
/// requests, destination addresses) and
/// YARP's own route and cluster validation.
/// </summary>
internal sealed class RoutesValidator(IConfigValidator yarpValidator)
{
    public async Task<RoutesSnapshot?> ValidateAsync(IReadOnlyList<RouteConfig> routes, IReadOnlyList<ClusterConfig> clusters, List<ConfigError> errors)
    {
        var clusterIds = new HashSet<string>(clusters.Select(c => c.ClusterId), StringComparer.OrdinalIgnoreCase);
        var policies = new Dictionary<string, RoutePolicy>(StringComparer.OrdinalIgnoreCase);

        foreach (var route in routes)
        {
            try
            {
                await ValidateRouteAsync(route, clusterIds, policies, errors);
            }
            catch (Exception ex) when (ex is NullReferenceException or ArgumentException or InvalidOperationException or FormatException)
            {
                // A shape no check foresaw must still be an error naming the route, never a crash or a stack trace.
                errors.Add(new($"route '{route.RouteId}'", "(route)", $"could not be checked ({ex.GetType().Name}); look for a null or missing field."));
            }
        }

        RouteMatchKey.CheckDistinct(routes, errors);

        foreach (var cluster in clusters)
        {
            try
            {
                await ValidateClusterAsync(cluster, errors);
            }
            catch (Exception ex) when (ex is NullReferenceException or ArgumentException or InvalidOperationException or FormatException)
            {
                errors.Add(new($"cluster '{cluster.ClusterId}'", "(cluster)", $"could not be checked ({ex.GetType().Name}); look for a null or missing field."));
            }
        }

        return errors.Count == 0 ? new RoutesSnapshot(routes.Select(RouteMethods.Served).ToArray(), clusters, policies) : null;
    }

    private async Task ValidateRouteAsync(RouteConfig route, HashSet<string> clusterIds, Dictionary<string, RoutePolicy> policies, List<ConfigError> errors)
    {
        var subject = $"route '{route.RouteId}'";
        policies[route.RouteId] = RoutePolicy.Parse(route, errors);
        MetadataNames.Check(route, errors);
        TransformRules.Check(route, errors);
        TransformRules.CheckMatch(route, errors);
        FrameworkPolicies.Check(route, errors);

        if (string.IsNullOrEmpty(route.ClusterId))
        {
            errors.Add(new(subject, "ClusterId", "is missing; name one of the Clusters."));
        }
        else if (!clusterIds.Contains(route.ClusterId))
        {
            errors.Add(new(subject, "ClusterId", $"'{route.ClusterId}' is not defined in Clusters."));
        }

        if (route.Order < GatewayEndpoints.FirstProxyOrder)
        {
            // Routing ranks the gateway's own endpoints below this; a lower Order was raised to it, silently, which
            // could turn two routes' precedence around (a public route at -2,000,000 won over a key route at -3,000,000).
            errors.Add(new(subject, "Order", $"{route.Order} is below {GatewayEndpoints.FirstProxyOrder}, the lowest order a route may have (the gateway's own paths rank below it)."));
        }

        if (ReservedPaths.ClaimedBy(route.Match?.Path) is { } reserved)
        {
            errors.Add(new(subject, "Match.Path", $"'{route.Match!.Path}' claims {reserved}, which the gateway answers itself; choose another prefix."));
        }

        foreach (var exception in await yarpValidator.ValidateRouteAsync(route))
        {
            errors.Add(new(subject, "(YARP)", exception.Message));
        }
    }

    private async Task ValidateClusterAsync(ClusterConfig cluster, List<ConfigError> errors)
    {
        var subject = $"cluster '{cluster.ClusterId}'";
        DestinationAddresses.Check(cluster, errors);
        if (cluster.Destinations is null || cluster.Destinations.Count == 0)
        {
            errors.Add(new(subject, "Destinations", "is empty; add at least one destination with an Address."));
        }

        foreach (var exception in await yarpValidator.ValidateClusterAsync(cluster))
        {
            errors.Add(new(subject, "(YARP)", exception.Message));
        }
    }
}

/// <summary>A validated configuration: YARP's records plus each route's parsed policy.</summary>
internal sealed record RoutesSnapshot(IReadOnlyList<RouteConfig> Routes, IReadOnlyList<ClusterConfig> Clusters, IReadOnlyDictionary<string, RoutePolicy> Policies)
{
    /// <summary>
    /// The header names some route matches on, lower case with <c>-</c>: a client's <c>X_Mode</c> is the same header
    /// as <c>X-Mode</c> to a CGI-style upstream, so it is removed before routing (<c>Proxy/RequestTargetGuard</c>).
    /// </summary>
    public FrozenSet<string> MatchedHeaders { get; } = Routes
        .SelectMany(r => r.Match?.Headers ?? [])
        .Select(h => h?.Name?.Replace('_', '-').ToLowerInvariant())
        .OfType<string>()
        .ToFrozenSet(StringComparer.Ordinal);
}
