using Yarp.ReverseProxy.Configuration;

namespace Tribuo.Gateway.Routes;

/// <summary>
/// A destination's <c>Address</c> (and health probe address) must be an absolute http or https URL with a
/// host: anything else would only fail at the first request, as a 502 for every caller of the cluster.
/// </summary>
internal static class DestinationAddresses
{
    public static void Check(ClusterConfig cluster, ICollection<ConfigError> errors)
    {
        foreach (var (id, destination) in cluster.Destinations ?? new Dictionary<string, DestinationConfig>())
        {
            if (destination is null)
            {
                continue; // reported by RoutesShape
            }

            Check(cluster, $"Destinations.{id}.Address", destination.Address, required: true, errors);
            Check(cluster, $"Destinations.{id}.Health", destination.Health, required: false, errors);
        }
    }

    private static void Check(ClusterConfig cluster, string field, string? address, bool required, ICollection<ConfigError> errors)
    {
        if (string.IsNullOrWhiteSpace(address))
        {
            if (required)
            {
                errors.Add(new($"cluster '{cluster.ClusterId}'", field, "is missing; give an absolute http(s) URL such as http://10.0.0.5:8080/."));
            }

            return;
        }

        var valid = Uri.TryCreate(address, UriKind.Absolute, out var uri)
            && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            && uri.Host.Length > 0
            && string.IsNullOrEmpty(uri.UserInfo);
        if (!valid)
        {
            errors.Add(new($"cluster '{cluster.ClusterId}'", field,
                $"'{address}' is not an absolute http(s) URL with a host (such as http://10.0.0.5:8080/)."));
        }
    }
}
