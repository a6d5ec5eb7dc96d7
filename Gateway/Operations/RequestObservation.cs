using System.Diagnostics;
using Tribuo.Gateway.Proxy;
using Tribuo.Gateway.Routes;

namespace Tribuo.Gateway.Operations;

/// <summary>
/// The first middleware: times every request and, once its answer is decided, writes the access log line,
/// counts proxied requests by route, status and auth outcome, and tags the request's span (when tracing is
/// on). One small <see cref="GatewayRequestFeature"/> per request carries what the later steps learnt.
/// </summary>
internal sealed class RequestObservation(RequestDelegate next, GatewayMetrics metrics, ILoggerFactory loggers, AccessLogConsole console)
{
    private readonly ILogger _access = loggers.CreateLogger(AccessLog.Category);

    public async Task InvokeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        var request = new GatewayRequestFeature();
        context.Features.Set(request);
        metrics.RequestStarted();
        var failed = false;
        try
        {
            await next(context);
        }
        catch
        {
            // The server answers 500 once this unwinds; the log and the counters should say so too.
            failed = true;
            throw;
        }
        finally
        {
            metrics.RequestEnded();
            Record(context, request, failed ? StatusCodes.Status500InternalServerError : context.Response.StatusCode, Stopwatch.GetElapsedTime(started));
        }
    }

    /// <summary>A caller the route's policy refused is still named: the key id, or the user id for a token.</summary>
    private static string? CallerOf(ResolvedCaller? resolved) => resolved?.Key?.Record?.Id ?? resolved?.User?.Id;

    private void Record(HttpContext context, GatewayRequestFeature request, int status, TimeSpan elapsed)
    {
        var policy = context.GetEndpoint()?.Metadata.GetMetadata<RoutePolicy>();
        var caller = context.Features.Get<GatewayCaller>();
        var callerId = caller is not null ? caller.KeyId ?? caller.User?.Id : CallerOf(context.Features.Get<ResolvedCaller>()) ?? request.Caller;
        string? auth = null;
        if (policy is not null)
        {
            auth = policy.Auth == AuthMode.Public ? "public"
                : caller?.User is not null ? "user"
                : caller?.KeyId is not null ? "key"
                : request.AnsweredPreflight ? "preflight"
                : "refused";
            metrics.Request(policy.RouteId, status, auth, elapsed);
        }

        if (Activity.Current is { IsAllDataRequested: true } span)
        {
            if (policy is not null)
            {
                span.SetTag("tribuo.route", policy.RouteId);
                span.SetTag("tribuo.auth", auth);
            }

            // On the gateway's own endpoints too: who called (an admin key, a user logging out) and why it refused, as
            // the access log says; a trace of a key's revocation or of a refused admin call named nobody (outside probe).
            span.SetTag("tribuo.caller", callerId);
            span.SetTag("tribuo.reason", request.Reason);
        }

        if (_access.IsEnabled(LogLevel.Information))
        {
            var upstream = context.Features.Get<Yarp.ReverseProxy.Model.IReverseProxyFeature>()?.ProxiedDestination?.Model.Config.Address;
            var path = LoggedPath.Of(context.Request);
            if (console.Direct)
            {
                console.Write(new AccessLine
                {
                    Time = DateTime.UtcNow, Method = context.Request.Method, Path = path, Status = status,
                    DurationMs = elapsed.TotalMilliseconds, Client = context.Connection.RemoteIpAddress, Route = policy?.RouteId ?? "-",
                    Caller = callerId ?? "-", Upstream = upstream ?? "-", Reason = request.Reason ?? "-",
                });
            }

            AccessLog.Request(_access, context.Request.Method, path, status, elapsed.TotalMilliseconds,
                context.Connection.RemoteIpAddress, policy?.RouteId ?? "-", callerId ?? "-", upstream ?? "-", request.Reason ?? "-");
        }
    }
}
