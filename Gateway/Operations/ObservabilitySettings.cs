using System.Globalization;

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

    /// <summary>The signals whose exporters the gateway configures: the general variables, then each signal's own.</summary>
    private static readonly string[] Signals = ["", "TRACES_", "METRICS_"];

    /// <summary>
    /// The OpenTelemetry variables the gateway and its OTLP exporters read, each with the check it gets at start. The SDK
    /// skips a value it cannot read (an endpoint, a protocol, a number) with a note on its event source only, so tracing
    /// was on and exported nowhere; malformed headers made the exporter throw while the host started (a stack trace).
    /// Here each is an error naming the variable, from the environment or any other configuration source (DESIGN §2).
    /// </summary>
    public static IEnumerable<(string Setting, Action<IConfiguration> Read)> OpenTelemetrySettings()
    {
        foreach (var signal in Signals)
        {
            var prefix = "OTEL_EXPORTER_OTLP_" + signal;
            yield return (prefix + "ENDPOINT", configuration => OtlpEndpoint(configuration, prefix + "ENDPOINT"));
            yield return (prefix + "PROTOCOL", configuration => OtlpProtocol(configuration, prefix + "PROTOCOL"));
            yield return (prefix + "HEADERS", configuration => OtlpHeaders(configuration, prefix + "HEADERS"));
            yield return (prefix + "TIMEOUT", configuration => Milliseconds(configuration, prefix + "TIMEOUT", min: 1));
        }

        // The batch span processor and the metric reader: the SDK's constructors refuse values out of these ranges.
        yield return ("OTEL_BSP_SCHEDULE_DELAY", configuration => Milliseconds(configuration, "OTEL_BSP_SCHEDULE_DELAY", min: 1));
        yield return ("OTEL_BSP_EXPORT_TIMEOUT", configuration => Milliseconds(configuration, "OTEL_BSP_EXPORT_TIMEOUT", min: 0));
        yield return ("OTEL_BSP_MAX_QUEUE_SIZE", configuration => Count(configuration, "OTEL_BSP_MAX_QUEUE_SIZE", max: int.MaxValue));
        yield return ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", configuration => Count(configuration, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
            max: Count(configuration, "OTEL_BSP_MAX_QUEUE_SIZE", max: int.MaxValue) ?? DefaultMaxQueueSize, maxName: "OTEL_BSP_MAX_QUEUE_SIZE"));
        yield return ("OTEL_METRIC_EXPORT_INTERVAL", configuration => Milliseconds(configuration, "OTEL_METRIC_EXPORT_INTERVAL", min: 1));
        yield return ("OTEL_METRIC_EXPORT_TIMEOUT", configuration => Milliseconds(configuration, "OTEL_METRIC_EXPORT_TIMEOUT", min: 0));
    }

    /// <summary>The batch span processor's queue when <c>OTEL_BSP_MAX_QUEUE_SIZE</c> is unset (OpenTelemetry's default).</summary>
    private const int DefaultMaxQueueSize = 2048;

    /// <summary>
    /// An OTLP endpoint: an absolute <c>http</c> or <c>https</c> URL with a host and a port from 1 to 65535 (the exporter
    /// takes any absolute URI, <c>ftp://x</c> included, and skips the rest in silence). Null when unset. A value with
    /// user info, a query or a fragment is not repeated: those may carry a credential (DESIGN §8).
    /// </summary>
    public static Uri? OtlpEndpoint(IConfiguration configuration, string setting)
    {
        var value = configuration[setting];
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.Host.Length > 0 && uri.Port is > 0 and <= 65535)
        {
            return uri;
        }

        var shown = value.IndexOfAny(['@', '?', '#']) < 0 ? $"'{value}' is" : "the value (not shown: it holds user info, a query or a fragment, which may carry a credential) is";
        throw new InvalidOperationException($"{setting}: {shown} not an OTLP endpoint; write an absolute http or https URL with a host and a port "
            + "from 1 to 65535, e.g. http://otel-collector:4317 (grpc) or http://otel-collector:4318 (http/protobuf).");
    }

    /// <summary>The protocols the .NET OTLP exporter speaks, written as it reads them (<c>http/json</c> is not one); null when unset.</summary>
    public static string? OtlpProtocol(IConfiguration configuration, string setting)
    {
        var value = configuration[setting];
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        return value.Trim() is "grpc" or "http/protobuf" ? value.Trim()
            : throw new InvalidOperationException($"{setting}: '{value}' is not a protocol the OTLP exporter speaks; use grpc or http/protobuf.");
    }

    /// <summary>
    /// Headers as the exporter reads them: URL-decoded, then <c>key=value</c> pairs separated by <c>,</c>, each key an HTTP
    /// header name. The value is never repeated: headers usually carry the collector's credentials.
    /// </summary>
    public static string? OtlpHeaders(IConfiguration configuration, string setting)
    {
        var value = configuration[setting];
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var pairs = Uri.UnescapeDataString(value).Split(',');
        for (var i = 0; i < pairs.Length; i++)
        {
            var equals = pairs[i].IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? "" : pairs[i][..equals].Trim();
            if (!Proxy.HeaderName.IsToken(name))
            {
                throw new InvalidOperationException($"{setting}: item {i + 1} of {pairs.Length} is not a header written key=value; write "
                    + "key1=value1,key2=value2 (values URL-encoded). The value is not shown: headers often carry credentials.");
            }
        }

        return value;
    }

    /// <summary>A whole number of milliseconds, digits only as the SDK reads it; null when unset.</summary>
    public static int? Milliseconds(IConfiguration configuration, string setting, int min)
    {
        var value = configuration[setting];
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var milliseconds) || milliseconds < min)
        {
            throw new InvalidOperationException($"{setting}: '{value}' is not a number of milliseconds; allowed {min} to {int.MaxValue} (5000 is 5 s).");
        }

        return milliseconds;
    }

    /// <summary>A whole number from 1 to <paramref name="max"/>, digits only as the SDK reads it; null when unset.</summary>
    private static int? Count(IConfiguration configuration, string setting, int max, string? maxName = null)
    {
        var value = configuration[setting];
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count < 1 || count > max)
        {
            throw new InvalidOperationException($"{setting}: '{value}' is not a whole number from 1 to {max}{(maxName is null ? "" : $" (the {maxName})")}.");
        }

        return count;
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
