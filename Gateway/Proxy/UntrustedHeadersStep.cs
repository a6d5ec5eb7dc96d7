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
        var headers = context.Request.Headers;
        ClientIdentityHeaders.Strip(headers);
        OverrideHeaders.Strip(headers);
        forwarded.Sanitize(context);
        return next(context);
    }
}
