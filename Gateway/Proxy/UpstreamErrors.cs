using Tribuo.Gateway.Http;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Tribuo.Gateway.Proxy;

/// <summary>
/// YARP answers a failed forward with a bare status code and logs a stack trace. This last pipeline step
/// gives the answer the gateway's problem+json body, so callers can tell "the upstream is down" from "the
/// upstream said 502", and writes the one log line per failure (YARP's own is turned off in
/// <see cref="Hosting.GatewayDefaults"/>): route, cluster, destination and what went wrong, no stack trace.
/// </summary>
internal static partial class UpstreamErrors
{
    public static async Task DescribeAsync(HttpContext context, RequestDelegate next, ILogger logger)
    {
        await next(context);
        var error = context.Features.Get<IForwarderErrorFeature>();
        if (error is null)
        {
            return;
        }

        Report(context, error, logger);
        if (context.Response.HasStarted)
        {
            return;
        }

        var (status, title, detail) = error.Error switch
        {
            ForwarderError.RequestTimedOut => (StatusCodes.Status504GatewayTimeout, "Upstream timed out", "The upstream did not answer in time."),
            ForwarderError.NoAvailableDestinations => (StatusCodes.Status503ServiceUnavailable, "No upstream available", "Every destination of this route is unhealthy or none is configured."),
            ForwarderError.RequestCanceled => (499, "Request canceled", "The client went away before the upstream answered."),
            ForwarderError.RequestBodyClient or ForwarderError.RequestBodyCanceled => (StatusCodes.Status400BadRequest, "Request body incomplete", "The request body could not be read from the client."),
            _ => (StatusCodes.Status502BadGateway, "Upstream unreachable", "The gateway could not get an answer from the upstream for this route."),
        };
        await Problem.WriteAsync(context, status, title, detail);
    }

    /// <summary>What went wrong in one line: the exception's type and message, never its stack.</summary>
    public static string Describe(Exception exception)
    {
        var innermost = exception;
        while (innermost.InnerException is { } inner)
        {
            innermost = inner;
        }

        return ReferenceEquals(innermost, exception)
            ? $"{exception.GetType().Name}: {exception.Message}"
            : $"{exception.GetType().Name}: {exception.Message} ({innermost.GetType().Name}: {innermost.Message})";
    }

    private static void Report(HttpContext context, IForwarderErrorFeature error, ILogger logger)
    {
        if (error.Error is ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled or ForwarderError.ResponseBodyCanceled
            or ForwarderError.UpgradeRequestCanceled or ForwarderError.UpgradeResponseCanceled or ForwarderError.RequestBodyClient
            or ForwarderError.ResponseBodyClient or ForwarderError.UpgradeRequestClient or ForwarderError.UpgradeResponseClient)
        {
            // The client went away or sent a broken body: nothing is wrong upstream.
            return;
        }

        var proxy = context.Features.Get<IReverseProxyFeature>();
        Log.UpstreamFailed(logger, error.Error, proxy?.Route.Config.RouteId ?? "-", proxy?.Cluster.Config.ClusterId ?? "-",
            proxy?.ProxiedDestination?.Model.Config.Address ?? "-", error.Exception is { } exception ? Describe(exception) : "-");
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "Upstream failure {Error} on route {Route}: cluster {Cluster}, destination {Address}: {Problem}")]
        public static partial void UpstreamFailed(ILogger logger, ForwarderError error, string route, string cluster, string address, string problem);
    }
}
