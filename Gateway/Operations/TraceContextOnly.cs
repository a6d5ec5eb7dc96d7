using System.Diagnostics;

namespace Tribuo.Gateway.Operations;

/// <summary>
/// .NET's propagator, held to W3C trace context: it neither reads a client's <c>baggage</c> (or
/// <c>Correlation-Context</c>) into the request's activity nor writes one to an upstream. With tracing on, ASP.NET
/// Core read a client's <c>baggage: session=…</c> into the activity and HttpClient wrote it to every upstream: the
/// client's words passed on as the gateway's, which only trace context should be.
/// </summary>
internal sealed class TraceContextOnly(DistributedContextPropagator inner) : DistributedContextPropagator
{
    private static readonly string[] BaggageFields = ["baggage", "Correlation-Context"];

    /// <summary>For ASP.NET Core (which takes its propagator from the services) and HttpClient (which reads <see cref="DistributedContextPropagator.Current"/>).</summary>
    public static void Install(IServiceCollection services)
    {
        var propagator = new TraceContextOnly(DistributedContextPropagator.Current);
        Current = propagator;
        services.AddSingleton<DistributedContextPropagator>(propagator);
    }

    public override IReadOnlyCollection<string> Fields { get; } = inner.Fields.Where(f => !IsBaggage(f)).ToArray();

    public override void Inject(Activity? activity, object? carrier, PropagatorSetterCallback? setter)
    {
        if (setter is null)
        {
            return;
        }

        inner.Inject(activity, carrier, (target, name, value) =>
        {
            if (!IsBaggage(name))
            {
                setter(target, name, value);
            }
        });
    }

    public override void ExtractTraceIdAndState(object? carrier, PropagatorGetterCallback? getter, out string? traceId, out string? traceState) =>
        inner.ExtractTraceIdAndState(carrier, getter, out traceId, out traceState);

    public override IEnumerable<KeyValuePair<string, string?>>? ExtractBaggage(object? carrier, PropagatorGetterCallback? getter) => null;

    private static bool IsBaggage(string field) => BaggageFields.Contains(field, StringComparer.OrdinalIgnoreCase);
}
