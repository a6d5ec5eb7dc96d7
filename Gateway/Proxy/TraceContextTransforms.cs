using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Tribuo.Gateway.Proxy;

/// <summary>
/// A cluster whose <c>Metadata.PropagateTraceContext</c> is <c>"false"</c> sees no trace context at all: not
/// the gateway's (see <see cref="UpstreamHttpClientFactory"/>) and not one a client sent either.
/// </summary>
internal static class TraceContextTransforms
{
    private static readonly string[] Headers = ["traceparent", "tracestate", "baggage", "Request-Id", "Correlation-Context"];

    public static void Apply(TransformBuilderContext context)
    {
        if (UpstreamHttpClientFactory.IsOff(context.Cluster?.Metadata?.GetValueOrDefault(UpstreamHttpClientFactory.PropagateMetadata)))
        {
            foreach (var header in Headers)
            {
                context.AddRequestHeaderRemove(header);
            }
        }
    }
}
