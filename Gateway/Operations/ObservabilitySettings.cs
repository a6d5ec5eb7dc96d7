namespace Tribuo.Gateway.Operations;

/// <summary>
/// What is observed, decided once at start. Metrics are on unless <c>Gateway:Metrics:Enabled</c> is
/// <c>false</c>. Traces exist only when an OTLP endpoint is configured through the standard
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (or <c>OTEL_EXPORTER_OTLP_TRACES_ENDPOINT</c>) and
/// <c>OTEL_SDK_DISABLED</c> is not <c>true</c>: without them no Activity is created per request.
/// </summary>
internal sealed record ObservabilitySettings(bool Metrics, bool Tracing, bool OtlpMetrics)
{
    public const string MetricsSetting = "Gateway:Metrics:Enabled";

    public static ObservabilitySettings From(IConfiguration configuration)
    {
        var metrics = Flag(configuration, MetricsSetting, defaultValue: true);
        var sdkDisabled = Flag(configuration, "OTEL_SDK_DISABLED", defaultValue: false);
        bool Set(string name) => !sdkDisabled && !string.IsNullOrWhiteSpace(configuration[name]);
        return new ObservabilitySettings(
            Metrics: metrics,
            Tracing: Set("OTEL_EXPORTER_OTLP_ENDPOINT") || Set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"),
            OtlpMetrics: metrics && (Set("OTEL_EXPORTER_OTLP_ENDPOINT") || Set("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT")));
    }

    /// <summary>An unreadable value is an error, not a silent default.</summary>
    private static bool Flag(IConfiguration configuration, string name, bool defaultValue)
    {
        var value = configuration[name];
        if (string.IsNullOrWhiteSpace(value))
        {
            return defaultValue;
        }

        return bool.TryParse(value, out var flag)
            ? flag
            : throw new InvalidOperationException($"{name}: '{value}' is not true or false.");
    }
}
