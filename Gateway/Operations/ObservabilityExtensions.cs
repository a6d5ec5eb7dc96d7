using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.Logging.Console;
using OpenTelemetry;
using OpenTelemetry.Context.Propagation;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Tribuo.Gateway.Operations;

internal static class ObservabilityExtensions
{
    /// <summary>Meters besides the gateway's own that <c>/metrics</c> publishes (all built into .NET 10).</summary>
    private static readonly string[] StandardMeters =
    [
        "System.Runtime",                        // GC, JIT, thread pool, exceptions, and the process' CPU and memory
        "Microsoft.AspNetCore.Server.Kestrel",   // connections, TLS handshakes, upgrades
        "System.Net.Http",                       // upstream calls: duration, status, open connections
        "System.Net.NameResolution",
    ];

    /// <summary>
    /// Metrics (the gateway's meter and the standard ones) for <c>/metrics</c> and OTLP; traces over OTLP
    /// when an endpoint is configured; a timestamp on every console line; the access log's own batched
    /// console writer (<see cref="AccessLogConsole"/>).
    /// </summary>
    public static WebApplicationBuilder AddGatewayObservability(this WebApplicationBuilder builder)
    {
        var json = string.Equals(builder.Configuration["Logging:Console:FormatterName"], "json", StringComparison.OrdinalIgnoreCase);
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource
        {
            InitialData = new Dictionary<string, string?>
            {
                // Named, so that FormatterOptions apply (without a name the console logger copies its legacy options over them).
                ["Logging:Console:FormatterName"] = "simple",
                // The access log's time is the console line's: UTC, to the millisecond, in both formatters.
                ["Logging:Console:FormatterOptions:TimestampFormat"] = json ? "yyyy-MM-dd'T'HH:mm:ss.fff'Z'" : "yyyy-MM-dd'T'HH:mm:ss.fff'Z' ",
                ["Logging:Console:FormatterOptions:UseUtcTimestamp"] = "true",
                // The access log is on unless its own level says otherwise, whatever Logging:LogLevel:Default is.
                [$"Logging:LogLevel:{AccessLog.Category}"] = "Information",
                // One request, one line: grep and log shippers see whole records.
                ["Logging:Console:FormatterOptions:SingleLine"] = "true",
                // A failed provider callback is the gateway's own one-line warning ("login through X failed"); the
                // authentication handlers also logged it as an error with a stack trace, which anyone who starts a
                // login could trigger at will (a callback without a code). A default: the operator's setting wins.
                ["Logging:LogLevel:Microsoft.AspNetCore.Authentication"] = "Critical",
                // An unready /readyz says why in its answer, and a store's outage is logged once when it starts and once
                // when it ends: the health checks' two error lines per probe (every few seconds) are off by default.
                ["Logging:LogLevel:Microsoft.Extensions.Diagnostics.HealthChecks"] = "Critical",
            },
        });
        // The access log goes to the console in batches (AccessLogConsole), not line by line through the console logger.
        builder.Logging.AddFilter<ConsoleLoggerProvider>(AccessLog.Category, LogLevel.None);
        builder.Services.AddSingleton<AccessLogConsole>();
        builder.Services.AddSingleton<ILoggerProvider>(services => services.GetRequiredService<AccessLogConsole>());
        var settings = ObservabilitySettings.From(builder.Configuration);
        builder.Services.AddSingleton(settings);
        var meters = new HostMeterFactory();
        builder.Services.AddSingleton<IMeterFactory>(_ => meters);
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(builder.Configuration["OTEL_SERVICE_NAME"] ?? "tribuo-gateway"));
        if (settings.Metrics)
        {
            telemetry.WithMetrics(metrics =>
            {
                metrics.AddMeter(GatewayMetrics.MeterName).AddMeter(StandardMeters);
                metrics.AddView(instrument => meters.IsForeign(instrument.Meter) || IsUnwantedGauge(instrument, settings) ? MetricStreamConfiguration.Drop : null);
                metrics.AddPrometheusExporter(prometheus =>
                {
                    // Scrapes are seconds apart; a cached answer would only hide the last requests from tests and people.
                    prometheus.ScrapeResponseCacheDurationMilliseconds = 0;
                    // The label sets stay those of DESIGN §8: no otel_scope_* labels on every series.
                    prometheus.ScopeInfoEnabled = false;
                });
                if (settings.OtlpMetrics)
                {
                    metrics.AddOtlpExporter(otlp => ApplySignalSettings(otlp, builder.Configuration, "METRICS_"));
                }
            });
        }

        if (settings.Tracing)
        {
            // W3C trace context only, injected by HttpClient itself: OpenTelemetry's default (trace context plus
            // baggage) would inject on its own, past each cluster's propagation choice, and pass clients' baggage on.
            Sdk.SetDefaultTextMapPropagator(new TraceContextPropagator());
            // ... and HttpClient injects through .NET's own propagator, which wrote the baggage ASP.NET Core had taken
            // from the client's request (an outside probe): that one is held to trace context too.
            TraceContextOnly.Install(builder.Services);
            // YARP's own "proxy.forwarder" activity is not listened to: it is a second span of kind Server per request
            // (an empty one for a refused request), which span-metrics tools count as a second request. The server span
            // and the HttpClient span of the upstream call say what it said.
            telemetry.WithTracing(tracing => tracing
                .AddAspNetCoreInstrumentation(aspNetCore => aspNetCore.EnrichWithHttpRequest = RequestSpans.WithoutQuery)
                .AddHttpClientInstrumentation(http => http.EnrichWithHttpRequestMessage = RequestSpans.WithoutQuery)
                .AddOtlpExporter(otlp => ApplySignalSettings(otlp, builder.Configuration, "TRACES_")));
        }

        return builder;
    }

    /// <summary>
    /// A signal's own variables (<c>OTEL_EXPORTER_OTLP_TRACES_ENDPOINT</c>, <c>_PROTOCOL</c>, <c>_HEADERS</c>,
    /// <c>_TIMEOUT</c>) over the general ones, as OpenTelemetry documents them: <c>AddOtlpExporter</c> reads only the
    /// general ones (the .NET SDK reads a signal's own only through <c>UseOtlpExporter</c>, which would send every signal
    /// to OTLP), so spans went to the default <c>localhost:4317</c>. A signal's endpoint is used as given, without
    /// <c>/v1/traces</c> added. Read once startup validation has accepted every value.
    /// </summary>
    private static void ApplySignalSettings(OpenTelemetry.Exporter.OtlpExporterOptions otlp, IConfiguration configuration, string signal)
    {
        var prefix = "OTEL_EXPORTER_OTLP_" + signal;
        if (ObservabilitySettings.OtlpEndpoint(configuration, prefix + "ENDPOINT") is { } endpoint)
        {
            otlp.Endpoint = endpoint;
        }

        if (ObservabilitySettings.OtlpProtocol(configuration, prefix + "PROTOCOL") is { } protocol)
        {
            otlp.Protocol = protocol == "http/protobuf" ? OpenTelemetry.Exporter.OtlpExportProtocol.HttpProtobuf : OpenTelemetry.Exporter.OtlpExportProtocol.Grpc;
        }

        if (ObservabilitySettings.OtlpHeaders(configuration, prefix + "HEADERS") is { } headers)
        {
            otlp.Headers = headers;
        }

        if (ObservabilitySettings.Milliseconds(configuration, prefix + "TIMEOUT", min: 1) is { } timeout)
        {
            otlp.TimeoutMilliseconds = timeout;
        }
    }

    /// <summary>
    /// HttpClient's per-request gauges, unless asked for (<see cref="ObservabilitySettings.UpstreamGaugesSetting"/>).
    /// A dropped instrument is never enabled, so HttpClient skips the measurement itself, not only its export.
    /// </summary>
    private static bool IsUnwantedGauge(Instrument instrument, ObservabilitySettings settings) =>
        !settings.UpstreamGauges && instrument.Meter.Name == "System.Net.Http"
        && instrument.Name is "http.client.active_requests" or "http.client.open_connections";

    /// <summary>The first middleware: access log, request metrics and span tags for every request.</summary>
    public static void UseRequestObservation(this WebApplication app) => app.UseMiddleware<RequestObservation>();
}
