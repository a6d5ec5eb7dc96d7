using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Tribuo.Gateway.Operations;

/// <summary>
/// The gateway's own instruments (DESIGN §8) on the <c>Tribuo.Gateway</c> meter. OpenTelemetry exports them
/// on <c>/metrics</c> and, when configured, over OTLP. Names are chosen for the Prometheus exporter's rules:
/// counters get <c>_total</c> appended and the histogram's unit <c>s</c> becomes <c>_seconds</c>, so the
/// scraped names are exactly those of DESIGN §8. With nobody listening (metrics off) every call is a no-op.
/// </summary>
internal sealed class GatewayMetrics
{
    public const string MeterName = "Tribuo.Gateway";

    /// <summary>Latency bucket bounds, in seconds: a proxy hop is milliseconds, a slow upstream seconds.</summary>
    private static readonly double[] Buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;
    private long _inFlight;
    private long _keyCacheHits;
    private long _keyCacheMisses;
    private readonly Counter<long> _logins;
    private readonly Counter<long> _configReloads;
    private readonly Counter<long> _rateLimited;

    public GatewayMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _requests = meter.CreateCounter<long>("tribuo_gateway_requests", description: "Proxied requests by route, status and auth outcome (public, key, user or refused).");
        _duration = meter.CreateHistogram("tribuo_gateway_request_duration", unit: "s",
            description: "Time from the gateway receiving a proxied request to its answer, by route.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = Buckets });
        // Observed at collection rather than recorded per request: two atomic adds instead of two trips through
        // the metrics pipeline on every request.
        meter.CreateObservableUpDownCounter("tribuo_gateway_requests_in_flight", () => Volatile.Read(ref _inFlight),
            description: "Requests the gateway is handling now.");
        // Every KEY request counts here: observed at collection, like the in-flight gauge, rather than a trip through
        // the metrics pipeline (its tag lookup) per request.
        meter.CreateObservableCounter("tribuo_gateway_key_cache", () => new[]
            {
                new Measurement<long>(Volatile.Read(ref _keyCacheHits), new KeyValuePair<string, object?>("result", "hit")),
                new Measurement<long>(Volatile.Read(ref _keyCacheMisses), new KeyValuePair<string, object?>("result", "miss")),
            },
            description: "Key lookups answered from memory (hit) or the store (miss).");
        _logins = meter.CreateCounter<long>("tribuo_gateway_logins", description: "Logins by provider and outcome.");
        _configReloads = meter.CreateCounter<long>("tribuo_gateway_config_reloads", description: "Routes file reloads by result (ok or rejected).");
        _rateLimited = meter.CreateCounter<long>("tribuo_gateway_rate_limited", description: "Requests refused by a rate limit, by route.");
    }

    public void Request(string route, int status, string auth, TimeSpan elapsed)
    {
        if (_requests.Enabled)
        {
            _requests.Add(1, new TagList { { "route", route }, { "status", StatusLabel(status) }, { "auth", auth } });
        }

        if (_duration.Enabled)
        {
            _duration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("route", route));
        }
    }

    public void RequestStarted() => Interlocked.Increment(ref _inFlight);

    public void RequestEnded() => Interlocked.Decrement(ref _inFlight);

    public void KeyCache(bool hit) => Interlocked.Increment(ref hit ? ref _keyCacheHits : ref _keyCacheMisses);

    public void Login(string provider, string outcome) =>
        _logins.Add(1, new KeyValuePair<string, object?>("provider", provider), new KeyValuePair<string, object?>("outcome", outcome));

    public void ConfigReload(bool accepted) => _configReloads.Add(1, new KeyValuePair<string, object?>("result", accepted ? "ok" : "rejected"));

    /// <summary>For the rate-limit step: one refused request on <paramref name="route"/>.</summary>
    public void RateLimited(string route) => _rateLimited.Add(1, new KeyValuePair<string, object?>("route", route));

    /// <summary>Status codes as label strings without a new string per request: the common ones are interned here.</summary>
    private static string StatusLabel(int status) => status switch
    {
        200 => "200",
        204 => "204",
        301 => "301",
        302 => "302",
        304 => "304",
        400 => "400",
        401 => "401",
        403 => "403",
        404 => "404",
        429 => "429",
        500 => "500",
        502 => "502",
        503 => "503",
        504 => "504",
        _ => status.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
