using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace Tribuo.Gateway.Operations;

/// <summary>
/// The figures <c>/metrics</c> publishes in Prometheus' text format: proxied requests by route, status and
/// auth outcome, their latency by route, key-cache hits and misses, logins by provider and outcome. Kept as
/// plain counters (one dictionary lookup and an interlocked add per request) rather than through an
/// exporter package: the ones Prometheus needs are not served here (DEPENDENCIES.md).
/// </summary>
internal sealed class GatewayMetrics
{
    /// <summary>Latency bucket bounds, in seconds.</summary>
    private static readonly double[] Buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly ConcurrentDictionary<(string Route, int Status, string Auth), Counter> _requests = new();
    private readonly ConcurrentDictionary<string, Histogram> _latency = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Provider, string Outcome), Counter> _logins = new();
    private readonly ConcurrentDictionary<string, Counter> _rateLimited = new(StringComparer.Ordinal);
    private long _keyCacheHits;
    private long _keyCacheMisses;

    public void Request(string route, int status, string auth, TimeSpan elapsed)
    {
        Interlocked.Increment(ref _requests.GetOrAdd((route, status, auth), static _ => new Counter()).Value);
        _latency.GetOrAdd(route, static _ => new Histogram()).Observe(elapsed.TotalSeconds);
    }

    public void KeyCache(bool hit) => Interlocked.Increment(ref hit ? ref _keyCacheHits : ref _keyCacheMisses);

    public void Login(string provider, string outcome) =>
        Interlocked.Increment(ref _logins.GetOrAdd((provider, outcome), static _ => new Counter()).Value);

    public void RateLimited(string route) =>
        Interlocked.Increment(ref _rateLimited.GetOrAdd(route, static _ => new Counter()).Value);

    public string Render()
    {
        var text = new StringBuilder();
        text.Append("# HELP tribuo_gateway_requests_total Proxied requests by route, status and auth outcome.\n# TYPE tribuo_gateway_requests_total counter\n");
        foreach (var ((route, status, auth), counter) in _requests.OrderBy(p => p.Key))
        {
            text.Append(CultureInfo.InvariantCulture, $"tribuo_gateway_requests_total{{route=\"{Escape(route)}\",status=\"{status}\",auth=\"{auth}\"}} {Interlocked.Read(ref counter.Value)}\n");
        }

        text.Append("# HELP tribuo_gateway_request_duration_seconds Time from the gateway receiving a proxied request to its answer.\n# TYPE tribuo_gateway_request_duration_seconds histogram\n");
        foreach (var (route, histogram) in _latency.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            histogram.Render(text, Escape(route));
        }

        text.Append("# HELP tribuo_gateway_key_cache_total Key lookups answered from memory (hit) or the store (miss).\n# TYPE tribuo_gateway_key_cache_total counter\n");
        text.Append(CultureInfo.InvariantCulture, $"tribuo_gateway_key_cache_total{{result=\"hit\"}} {Interlocked.Read(ref _keyCacheHits)}\n");
        text.Append(CultureInfo.InvariantCulture, $"tribuo_gateway_key_cache_total{{result=\"miss\"}} {Interlocked.Read(ref _keyCacheMisses)}\n");

        text.Append("# HELP tribuo_gateway_logins_total Logins by provider and outcome.\n# TYPE tribuo_gateway_logins_total counter\n");
        foreach (var ((provider, outcome), counter) in _logins.OrderBy(p => p.Key))
        {
            text.Append(CultureInfo.InvariantCulture, $"tribuo_gateway_logins_total{{provider=\"{Escape(provider)}\",outcome=\"{outcome}\"}} {Interlocked.Read(ref counter.Value)}\n");
        }

        text.Append("# HELP tribuo_gateway_rate_limited_total Requests refused with 429 by a rate limit, by route.\n# TYPE tribuo_gateway_rate_limited_total counter\n");
        foreach (var (route, counter) in _rateLimited.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            text.Append(CultureInfo.InvariantCulture, $"tribuo_gateway_rate_limited_total{{route=\"{Escape(route)}\"}} {Interlocked.Read(ref counter.Value)}\n");
        }

        return text.ToString();
    }

    private static string Escape(string label) => label.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");

    private sealed class Counter
    {
        public long Value;
    }

    private sealed class Histogram
    {
        private readonly long[] _counts = new long[Buckets.Length + 1];
        private long _count;
        private long _sumMicroseconds;

        public void Observe(double seconds)
        {
            var bucket = 0;
            while (bucket < Buckets.Length && seconds > Buckets[bucket])
            {
                bucket++;
            }

            Interlocked.Increment(ref _counts[bucket]);
            Interlocked.Increment(ref _count);
            Interlocked.Add(ref _sumMicroseconds, (long)(seconds * 1_000_000));
        }

        public void Render(StringBuilder text, string route)
        {
            long cumulative = 0;
            for (var i = 0; i < Buckets.Length; i++)
            {
                cumulative += Interlocked.Read(ref _counts[i]);
                text.Append(CultureInfo.InvariantCulture, $"tribuo_gateway_request_duration_seconds_bucket{{route=\"{route}\",le=\"{Buckets[i]}\"}} {cumulative}\n");
            }

            var count = Interlocked.Read(ref _count);
            text.Append(CultureInfo.InvariantCulture, $"tribuo_gateway_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {count}\n");
            text.Append(CultureInfo.InvariantCulture, $"tribuo_gateway_request_duration_seconds_sum{{route=\"{route}\"}} {Interlocked.Read(ref _sumMicroseconds) / 1_000_000.0}\n");
            text.Append(CultureInfo.InvariantCulture, $"tribuo_gateway_request_duration_seconds_count{{route=\"{route}\"}} {count}\n");
        }
    }
}
