using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Tribuo.Gateway.Proxy;

/// <summary>
/// One warning line per failed active health probe (destination, address, what went wrong), where YARP
/// writes a stack trace per probe (15 failed probes made 500 lines). Every active health policy is
/// wrapped, so clusters keep whichever policy they name; YARP's own probe warnings are turned off in
/// <see cref="Hosting.GatewayDefaults"/>.
/// </summary>
internal sealed partial class HealthProbeLog(IActiveHealthCheckPolicy policy, ILogger<HealthProbeLog> logger) : IActiveHealthCheckPolicy
{
    public string Name => policy.Name;

    public void ProbingCompleted(ClusterState cluster, IReadOnlyList<DestinationProbingResult> probingResults)
    {
        foreach (var result in probingResults)
        {
            if (result.Exception is { } exception)
            {
                Log.ProbeFailed(logger, cluster.ClusterId, result.Destination.DestinationId, result.Destination.Model.Config.Address,
                    UpstreamErrors.Describe(exception));
            }
            else if (result.Response is { IsSuccessStatusCode: false } response)
            {
                Log.ProbeFailed(logger, cluster.ClusterId, result.Destination.DestinationId, result.Destination.Model.Config.Address,
                    $"answered {(int)response.StatusCode}");
            }
        }

        policy.ProbingCompleted(cluster, probingResults);
    }

    /// <summary>Wraps every active health policy YARP registered.</summary>
    public static void WrapPolicies(IServiceCollection services)
    {
        var registered = services.Where(d => d.ServiceType == typeof(IActiveHealthCheckPolicy) && d.ImplementationType is not null).ToList();
        foreach (var descriptor in registered)
        {
            services.Remove(descriptor);
            var implementation = descriptor.ImplementationType!;
            services.AddSingleton<IActiveHealthCheckPolicy>(sp => new HealthProbeLog(
                (IActiveHealthCheckPolicy)ActivatorUtilities.CreateInstance(sp, implementation), sp.GetRequiredService<ILogger<HealthProbeLog>>()));
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 310, Level = LogLevel.Warning, Message = "Health probe failed: cluster {Cluster}, destination {Destination} ({Address}): {Problem}")]
        public static partial void ProbeFailed(ILogger logger, string cluster, string destination, string address, string problem);
    }
}
