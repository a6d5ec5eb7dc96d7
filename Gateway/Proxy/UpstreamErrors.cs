using Tribuo.Gateway.Http;
using Yarp.ReverseProxy.Forwarder;

namespace Tribuo.Gateway.Proxy;

/// <summary>
/// YARP answers a failed forward with a bare status code. This last pipeline step gives it the gateway's
/// problem+json body, so callers can tell "the upstream is down" from "the upstream said 502".
/// </summary>
internal static class UpstreamErrors
{
    public static async Task DescribeAsync(HttpContext context, Func<Task> next)
    {
        await next();
        var error = context.Features.Get<IForwarderErrorFeature>();
        if (error is null || context.Response.HasStarted)
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
}
