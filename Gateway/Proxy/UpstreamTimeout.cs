using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace Tribuo.Gateway.Proxy;

/// <summary>
/// How long an upstream may stay silent before the caller gets <c>504</c>: a cluster's own
/// <c>HttpRequest.ActivityTimeout</c>, else <c>Gateway:Proxy:UpstreamTimeout</c> (30 s by default, where
/// YARP's own default of 100 s outlasts most clients' patience and holds a connection all that time).
/// </summary>
internal sealed class UpstreamTimeout(IConfiguration configuration) : IProxyConfigFilter
{
    public const string Setting = "Gateway:Proxy:UpstreamTimeout";
    private static readonly TimeSpan Default = TimeSpan.FromSeconds(30);

    private readonly TimeSpan _timeout = Read(configuration);

    public ValueTask<ClusterConfig> ConfigureClusterAsync(ClusterConfig cluster, CancellationToken cancel)
    {
        if (cluster.HttpRequest?.ActivityTimeout is not null)
        {
            return ValueTask.FromResult(cluster);
        }

        var request = (cluster.HttpRequest ?? ForwarderRequestConfig.Empty) with { ActivityTimeout = _timeout };
        return ValueTask.FromResult(cluster with { HttpRequest = request });
    }

    public ValueTask<RouteConfig> ConfigureRouteAsync(RouteConfig route, ClusterConfig? cluster, CancellationToken cancel) => ValueTask.FromResult(route);

    /// <summary>The default timeout; an unreadable value throws, naming the setting (startup validation reads it first).</summary>
    public static TimeSpan Read(IConfiguration configuration)
    {
        var value = configuration[Setting];
        if (string.IsNullOrWhiteSpace(value))
        {
            return Default;
        }

        return TimeSpan.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var timeout) && timeout > TimeSpan.Zero
            ? timeout
            : throw new InvalidOperationException($"{Setting}: '{value}' is not a positive duration such as 00:00:30.");
    }
}
