using Microsoft.Net.Http.Headers;

namespace Tribuo.Gateway.Proxy;

/// <summary>
/// Proxy step: removes what a client may not tell an upstream, on every route, public ones included: headers
/// in the gateway's <c>X-Tribuo-*</c> namespace, forwarding headers from untrusted connections, and the
/// headers upstream frameworks read as the client address, the scheme, the path or the method (DESIGN §7). A request
/// sending a header or query parameter its route matched on more than once is refused (<see cref="Routes.MatchedValues"/>).
/// </summary>
internal sealed class UntrustedHeadersStep(RequestDelegate next, ForwardedHeaders forwarded)
{
    public Task InvokeAsync(HttpContext context)
    {
        // One pass over the request's headers for the three kinds.
        var fromTrustedProxy = forwarded.IsTrusted(context.Connection.RemoteIpAddress);
        HeaderName.RemoveWhere(context.Request.Headers, fromTrustedProxy, static (name, trusted) =>
            ClientIdentityHeaders.IsInNamespace(name) || OverrideHeaders.IsOverride(name) || ForwardedHeaders.IsDropped(name, trusted));

        // An empty Host (which HTTP/1.1 allows only for a target without an authority) was forwarded beside the
        // destination's own Host: the upstream got two, and a lenient one may pick either.
        var headers = context.Request.Headers;
        if (headers.Host is [var host] && string.IsNullOrEmpty(host))
        {
            headers.Remove(HeaderNames.Host);
        }

        // A header or query parameter the route was chosen by, sent twice or as a list: refused, not forwarded whole.
        if (ProxyRoute.Policy(context).MatchedValues?.FindAmbiguity(context.Request) is { } ambiguous)
        {
            return Http.Problem.WriteAsync(context, StatusCodes.Status400BadRequest, "Ambiguous match", ambiguous);
        }

        return next(context);
    }
}
