namespace Tribuo.Gateway.Operations;

/// <summary>
/// What the access log and the request's span report beyond the route and the caller (which the proxy steps
/// leave as features): why the gateway answered the request itself. Set on <see cref="HttpContext.Features"/>
/// by <see cref="RequestObservation"/>, filled in by <see cref="Http.Problem"/>.
/// </summary>
internal sealed class GatewayRequestFeature
{
    /// <summary>Why the gateway answered instead of the upstream (scope, origin, rate limit, upstream down...): the problem's title.</summary>
    public string? Reason { get; set; }

    /// <summary>
    /// The gateway answered a CORS preflight itself (204). Its metrics and span say <c>auth="preflight"</c>: it carries
    /// no credential by design, and was counted as <c>refused</c> beside real refusals (an outside probe).
    /// </summary>
    public bool AnsweredPreflight { get; set; }

    /// <summary>Who called one of the gateway's own endpoints (an admin key, a user logging out): the proxy path names its caller through its own features.</summary>
    public string? Caller { get; set; }

    public static void SetCaller(HttpContext context, string? caller)
    {
        if (context.Features.Get<GatewayRequestFeature>() is { } request)
        {
            request.Caller = caller;
        }
    }

    public static void SetAnsweredPreflight(HttpContext context)
    {
        if (context.Features.Get<GatewayRequestFeature>() is { } request)
        {
            request.AnsweredPreflight = true;
        }
    }

    public static void SetReason(HttpContext context, string reason)
    {
        if (context.Features.Get<GatewayRequestFeature>() is { } request)
        {
            request.Reason = reason;
        }
    }
}
