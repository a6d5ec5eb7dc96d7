using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Configuration.ClusterValidators;

namespace Tribuo.Gateway.Proxy;

/// <summary>A cluster's <c>Metadata.PropagateTraceContext</c> is "true" or "false"; anything else is a typo, not a default.</summary>
internal sealed class TraceContextMetadata : IClusterValidator
{
    public ValueTask ValidateAsync(ClusterConfig cluster, IList<Exception> errors)
    {
        if (cluster.Metadata?.GetValueOrDefault(UpstreamHttpClientFactory.PropagateMetadata) is { } value
            && !bool.TryParse(value, out _))
        {
            errors.Add(new ArgumentException($"Metadata.{UpstreamHttpClientFactory.PropagateMetadata}: '{value}' is not \"true\" or \"false\"."));
        }

        return ValueTask.CompletedTask;
    }
}
