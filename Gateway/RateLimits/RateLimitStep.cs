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
    public async Task InvokeAsync(HttpContext context)
    {
        var policy = ProxyRoute.Policy(context);
        var keyLimits = context.Features.Get<GatewayCaller>() is { KeyId: not null } keyCaller ? keyCaller.KeyRateLimits : [];
        if (policy.RateLimit is null && keyLimits.Count == 0)
        {
            await next(context);
            return;
        }

        var decision = await limiter.DecideAsync(Counters(context, policy, keyLimits));
        var (counter, state) = decision.Tightest;
        var headers = context.Response.Headers;
        headers["RateLimit-Limit"] = counter.Limit.Count.ToString(CultureInfo.InvariantCulture);
        headers["RateLimit-Remaining"] = state.Remaining.ToString(CultureInfo.InvariantCulture);
        headers["RateLimit-Reset"] = Seconds(state.ResetAfter);
        if (decision.Allowed)
        {
            await next(context);
            return;
        }

        metrics.RateLimited(policy.RouteId);
        headers.RetryAfter = Seconds(state.ResetAfter);
        await Http.Problem.WriteAsync(context, StatusCodes.Status429TooManyRequests, "Rate limit reached",
            $"{counter.Description} allows {counter.Limit.Text} (requests per window); retry in {Seconds(state.ResetAfter)} s.");
    }

    private List<LimitedCounter> Counters(HttpContext context, RoutePolicy policy, IReadOnlyList<RateLimit> keyLimits)
    {
        var counters = new List<LimitedCounter>(keyLimits.Count + 1);
        var caller = RateLimitCaller.Of(context, forwarded);
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
            counters.Add(new LimitedCounter(keyLimit.Text + ":" + callerPart, keyLimit, $"Key '{context.Features.Get<GatewayCaller>()!.KeyId}'"));
        }

        return counters;
    }

    /// <summary>Whole seconds, rounded up: a client that waits that long finds the request passes.</summary>
    private static string Seconds(TimeSpan duration) =>
        ((long)Math.Ceiling(duration.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
}
