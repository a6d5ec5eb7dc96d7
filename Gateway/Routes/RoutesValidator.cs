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
            var subject = $"route '{route.RouteId}'";
            policies[route.RouteId] = RoutePolicy.Parse(route, errors);
            MetadataNames.Check(route, errors);

            if (string.IsNullOrEmpty(route.ClusterId))
            {
                errors.Add(new(subject, "ClusterId", "is missing; name one of the Clusters."));
            }
            else if (!clusterIds.Contains(route.ClusterId))
            {
                errors.Add(new(subject, "ClusterId", $"'{route.ClusterId}' is not defined in Clusters."));
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

        RouteMatchKey.CheckDistinct(routes, errors);

        foreach (var cluster in clusters)
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

        return errors.Count == 0 ? new RoutesSnapshot(routes, clusters, policies) : null;
    }
}

/// <summary>A validated configuration: YARP's records plus each route's parsed policy.</summary>
internal sealed record RoutesSnapshot(IReadOnlyList<RouteConfig> Routes, IReadOnlyList<ClusterConfig> Clusters, IReadOnlyDictionary<string, RoutePolicy> Policies);
