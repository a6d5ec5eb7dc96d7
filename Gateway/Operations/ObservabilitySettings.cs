namespace Tribuo.Gateway.Operations;

/// <summary>
/// What is observed, decided once at start. Metrics are on unless <c>Gateway:Metrics:Enabled</c> is
/// <c>false</c>. Traces exist only when an OTLP endpoint is configured through the standard
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (or <c>OTEL_EXPORTER_OTLP_TRACES_ENDPOINT</c>) and
/// <c>OTEL_SDK_DISABLED</c> is not <c>true</c>: without them no Activity is created per request.
/// </summary>
internal sealed record ObservabilitySettings(bool Metrics, bool Tracing, bool OtlpMetrics, bool UpstreamGauges = false)
{
    public const string MetricsSetting = "Gateway:Metrics:Enabled";

    /// <summary>
    /// HttpClient's two per-request gauges (<c>http.client.active_requests</c>, <c>http.client.open_connections</c>)
    /// are off unless this is <c>true</c>: together six shared counter updates per proxied request, the largest
    /// part of what metrics cost the KEY route, for figures the gateway's own in-flight gauge and
    /// <c>http.client.connection.duration</c> mostly give.
    /// </summary>
    public const string UpstreamGaugesSetting = "Gateway:Metrics:UpstreamGauges";

    /// <summary>Why a setting could not be read; the host is built anyway and startup validation stops it (exit 2).</summary>
    public string? Problem { get; private init; }

    /// <summary>For startup validation: throws, naming the setting, when one was unreadable.</summary>
    public ObservabilitySettings Validated() => Problem is null ? this : throw new InvalidOperationException(Problem);

    public static ObservabilitySettings From(IConfiguration configuration)
    {
        var problems = new List<string>();
        var metrics = Flag(configuration, MetricsSetting, defaultValue: true, problems);
        var sdkDisabled = Flag(configuration, "OTEL_SDK_DISABLED", defaultValue: false, problems);
        bool Set(string name) => !sdkDisabled && !string.IsNullOrWhiteSpace(configuration[name]);
        return new ObservabilitySettings(
            Metrics: metrics,
            Tracing: Set("OTEL_EXPORTER_OTLP_ENDPOINT") || Set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"),
            OtlpMetrics: metrics && (Set("OTEL_EXPORTER_OTLP_ENDPOINT") || Set("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT")),
            UpstreamGauges: Flag(configuration, UpstreamGaugesSetting, defaultValue: false, problems))
        {
            Problem = problems.Count == 0 ? null : string.Join("; ", problems),
        };
    }

    /// <summary>An unreadable value is an error, not a silent default.</summary>
    private static bool Flag(IConfiguration configuration, string name, bool defaultValue, List<string> problems)
    {
        var value = configuration[name];
        if (string.IsNullOrWhiteSpace(value))
        {
            return defaultValue;
        }

        if (bool.TryParse(value, out var flag))
        {
            return flag;
        }

        problems.Add($"{name}: '{value}' is not true or false.");
        return defaultValue;
    }
}
