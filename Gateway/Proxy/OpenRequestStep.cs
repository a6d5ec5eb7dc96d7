using Tribuo.Gateway.Keys;

namespace Tribuo.Gateway.Proxy;

/// <summary>
/// Proxy step: keeps every admitted request in <see cref="OpenRequests"/> while it runs, with the credential
/// it was admitted with, so that WebSockets and streams are closed when that credential stops being valid.
/// The server ends the tracking when it disposes the request (after the answer, or when the request is
/// aborted): no async frame of this step's own wraps the rest of the request.
/// </summary>
internal sealed class OpenRequestStep(RequestDelegate next, OpenRequests open)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (context.Features.Get<ResolvedCaller>() is { } caller)
        {
            var token = caller.Key is null ? context.Features.Get<RequestCredential>()?.Token : null;
            context.Response.RegisterForDispose(open.Track(context, caller.Key, token, ProxyRoute.Policy(context)));
        }

        return next(context);
    }
}
