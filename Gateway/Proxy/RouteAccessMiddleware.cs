using Tribuo.Gateway.Routes;

namespace Tribuo.Gateway.Proxy;

/// <summary>
/// The first step of the proxy pipeline: forged identity and forwarding headers go, then the route's policy decides.
/// Deny by default: an endpoint without a policy is treated as <see cref="RoutePolicy.Closed"/>.
/// </summary>
internal sealed class RouteAccessMiddleware(RequestDelegate next, RouteAccess access, ForwardedHeaders forwarded)
{
    public Task InvokeAsync(HttpContext context)
    {
        ClientIdentityHeaders.Strip(context.Request.Headers);
        forwarded.Sanitize(context);
        var policy = context.GetEndpoint()?.Metadata.GetMetadata<RoutePolicy>() ?? RoutePolicy.Closed;
        if (policy.Auth == AuthMode.Public)
        {
            return next(context);
        }

        return access.AuthorizeAsync(context, policy, next);
    }
}
