using System.Net.Http;
using Tribuo.Gateway.Operations;
using Yarp.ReverseProxy.Forwarder;

namespace Tribuo.Gateway.Proxy;

/// <summary>
/// W3C trace context upstream. With tracing on (an OTLP endpoint configured), every cluster receives
/// <c>traceparent</c> for the request's span, unless its <c>Metadata.PropagateTraceContext</c> is
/// <c>"false"</c> (an upstream outside the organisation need not see trace ids). With tracing off nothing is
/// propagated: the handler would otherwise cost a DiagnosticsHandler per request for no trace at all
/// (PERFORMANCE.md §2.3).
/// </summary>
internal sealed class UpstreamHttpClientFactory(ILogger<ForwarderHttpClientFactory> logger, ObservabilitySettings observability)
    : ForwarderHttpClientFactory(logger)
{
    public const string PropagateMetadata = "PropagateTraceContext";

    protected override void ConfigureHandler(ForwarderHttpClientContext context, SocketsHttpHandler handler)
    {
        base.ConfigureHandler(context, handler);

        // Header values as the client sent them: Kestrel reads UTF-8 in request headers, and HttpClient then refused to
        // send them (ASCII only), a 502 blamed on the upstream for something the client sent (outside probe). nginx
        // forwards the bytes too. A cluster's own HttpClient.RequestHeaderEncoding still wins.
        handler.RequestHeaderEncodingSelector ??= static (_, _) => System.Text.Encoding.UTF8;
        if (!observability.Tracing || IsOff(context.NewMetadata?.GetValueOrDefault(PropagateMetadata)))
        {
            handler.ActivityHeadersPropagator = null;
        }
    }

    /// <summary>Only "true" and "false" are meaningful; <see cref="Routes.RoutesValidator"/> refuses anything else.</summary>
    public static bool IsOff(string? value) => string.Equals(value, "false", StringComparison.OrdinalIgnoreCase);
}
