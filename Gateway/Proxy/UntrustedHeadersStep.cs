namespace Tribuo.Gateway.Proxy;

/// <summary>
/// Proxy step: removes what a client may not tell an upstream, on every route, public ones included: headers
/// in the gateway's <c>X-Tribuo-*</c> namespace, forwarding headers from untrusted connections, and the
/// headers upstream frameworks read as the client address, the scheme, the path or the method (DESIGN §7).
/// </summary>
internal sealed class UntrustedHeadersStep(RequestDelegate next, ForwardedHeaders forwarded)
{
    public Task InvokeAsync(HttpContext context)
    {
        // One pass over the request's headers for the three kinds.
        var fromTrustedProxy = forwarded.IsTrusted(context.Connection.RemoteIpAddress);
        HeaderName.RemoveWhere(context.Request.Headers, fromTrustedProxy, static (name, trusted) =>
            ClientIdentityHeaders.IsInNamespace(name) || OverrideHeaders.IsOverride(name) || ForwardedHeaders.IsDropped(name, trusted));
        return next(context);
    }
}
