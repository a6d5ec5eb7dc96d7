using System.Collections.Concurrent;
using System.Globalization;
using Tribuo.Gateway.Operations;
using Tribuo.Gateway.Proxy;
using Tribuo.Gateway.Routes;

namespace Tribuo.Gateway.RateLimits;

/// <summary>
/// Proxy step, once the caller is known and allowed: the route's <c>RateLimit</c> for this caller and the key's own <c>RateLimits</c>,
/// judged together. A refused request gets <c>429</c> and never reaches the upstream; every response to a limited
/// caller says where its tightest limit stands (<c>RateLimit-Limit</c>, <c>-Remaining</c>, <c>-Reset</c> in seconds).
/// </summary>
internal sealed class RateLimitStep(RequestDelegate next, RateLimiter limiter, ForwardedHeaders forwarded, GatewayMetrics metrics)
{
    /// <summary>Beyond this many (route, caller) pairs the cache starts over: client addresses are not a bounded set.</summary>
    private const int MostCachedSets = 50_000;

    /// <summary>The counters of a (route, caller) pair, named once rather than concatenated on every request.</summary>
    private readonly ConcurrentDictionary<(RoutePolicy Route, string Caller), CounterSet> _sets = new();

    /// <summary>Without a limit the request goes on without an async frame of this step's own.</summary>
    public Task InvokeAsync(HttpContext context)
    {
        var policy = ProxyRoute.Policy(context);
        var keyCaller = context.Features.Get<GatewayCaller>() is { KeyId: not null } withKey ? withKey : null;
        var keyLimits = keyCaller?.KeyRateLimits ?? [];
        return policy.RateLimit is null && keyLimits.Count == 0 ? next(context) : LimitAsync(context, policy, keyCaller, keyLimits);
    }

    private async Task LimitAsync(HttpContext context, RoutePolicy policy, GatewayCaller? keyCaller, IReadOnlyList<RateLimit> keyLimits)
    {
        var set = CountersOf(context, policy, keyCaller, keyLimits);
        var decision = await limiter.DecideAsync(set.Counters, set.Name, context.RequestAborted);
        var (counter, state) = decision.Tightest;
        var headers = context.Response.Headers;
        var limit = (Limit: counter.LimitHeader, Remaining: state.Remaining.ToString(CultureInfo.InvariantCulture), Reset: Seconds(state.ResetAfter));
        if (decision.Allowed)
        {
            // Set when the answer starts, whoever writes it: YARP adds the upstream's own RateLimit-* headers, and set
            // before forwarding the gateway's stood beside them (a client read two limits: an outside probe).
            context.Response.OnStarting(static state =>
            {
                var (response, limit) = ((HttpResponse, (string, string, string)))state;
                SetHeaders(response.Headers, limit);
                return Task.CompletedTask;
            }, (context.Response, limit));
            await next(context);
            return;
        }

        SetHeaders(headers, limit);
        metrics.RateLimited(policy.RouteId);
        headers.RetryAfter = Seconds(state.ResetAfter);
        await Http.Problem.WriteAsync(context, StatusCodes.Status429TooManyRequests, "Rate limit reached",
            $"{counter.Description} allows {counter.Limit.Text} (requests per window); retry in {Seconds(state.ResetAfter)} s.");
    }

    private CounterSet CountersOf(HttpContext context, RoutePolicy policy, GatewayCaller? keyCaller, IReadOnlyList<RateLimit> keyLimits)
    {
        var caller = keyCaller is not null ? "key:" + keyCaller.KeyId : RateLimitCaller.Of(context, forwarded);
        if (_sets.TryGetValue((policy, caller), out var cached) && ReferenceEquals(cached.KeyLimits, keyLimits))
        {
            return cached;
        }

        if (_sets.Count >= MostCachedSets)
        {
            _sets.Clear();
        }

        var set = CounterSet.For(policy, caller, keyCaller?.KeyId, keyLimits);
        _sets[(policy, caller)] = set;
        return set;
    }

    private static void SetHeaders(IHeaderDictionary headers, (string Limit, string Remaining, string Reset) limit)
    {
        headers["RateLimit-Limit"] = limit.Limit;
        headers["RateLimit-Remaining"] = limit.Remaining;
        headers["RateLimit-Reset"] = limit.Reset;
    }

    /// <summary>Whole seconds, rounded up: a client that waits that long finds the request passes.</summary>
    private static string Seconds(TimeSpan duration) =>
        ((long)Math.Ceiling(duration.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    /// <summary>The counters one request of one caller on one route counts in, and the name of that set.</summary>
    private sealed class CounterSet(LimitedCounter[] counters, IReadOnlyList<RateLimit> keyLimits)
    {
        public LimitedCounter[] Counters { get; } = counters;

        /// <summary>The key's limits these counters were made from: a changed key makes new ones.</summary>
        public IReadOnlyList<RateLimit> KeyLimits { get; } = keyLimits;

        public string Name { get; } = SlotLeases.SetOf(counters);

        public static CounterSet For(RoutePolicy policy, string caller, string? keyId, IReadOnlyList<RateLimit> keyLimits)
        {
            var counters = new List<LimitedCounter>(keyLimits.Count + 1);
            // Length-prefixed, so that no route id or caller can be read as another's.
            var callerPart = caller.Length.ToString(CultureInfo.InvariantCulture) + ":" + caller;
            if (policy.RateLimit is { } routeLimit)
            {
                counters.Add(new LimitedCounter(
                    routeLimit.Text + ":" + callerPart + ":route:" + policy.RouteId,
                    routeLimit,
                    $"Route '{policy.RouteId}' (per caller)"));
            }

            foreach (var keyLimit in keyLimits)
            {
                counters.Add(new LimitedCounter(keyLimit.Text + ":" + callerPart, keyLimit, $"Key '{keyId}'"));
            }

            return new CounterSet([.. counters], keyLimits);
        }
    }
}
