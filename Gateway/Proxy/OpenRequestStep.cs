using Tribuo.Gateway.Keys;

namespace Tribuo.Gateway.Proxy;

/// <summary>
/// Proxy step: keeps every admitted request in <see cref="OpenRequests"/> while it runs, with the credential
/// it was admitted with, so that WebSockets and streams are closed when that credential stops being valid.
/// </summary>
internal sealed class OpenRequestStep(RequestDelegate next, OpenRequests open)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var caller = context.Features.Get<ResolvedCaller>();
        if (caller is null)
        {
            await next(context);
            return;
        }

        var token = caller.Key is null ? context.Features.Get<RequestCredential>()?.Token : null;
        using (open.Track(context, caller.Key, token, ProxyRoute.Policy(context)))
        {
            await next(context);
        }
    }
}
