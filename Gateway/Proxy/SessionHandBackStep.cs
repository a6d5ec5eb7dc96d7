using Tribuo.Gateway.Login;
using Tribuo.Gateway.Routes;
using Tribuo.Gateway.Tokens;

namespace Tribuo.Gateway.Proxy;

/// <summary>
/// Proxy step: a page load carrying <c>?token=</c>. On routes open to users it is the way back from the
/// login page, answered by the login hub's <see cref="SessionHandBack"/> (cookie set, same URL without the
/// token). On other routes (the login hub's single sign-on shortcut can send a browser to any URL of an
/// allowed origin) the token is only taken out of the address bar: the browser goes to the same URL without
/// it, so neither the page nor its outgoing links get to read it.
/// </summary>
internal sealed class SessionHandBackStep(RequestDelegate next, SessionHandBack handBack, SigningKeys signingKeys)
{
    public Task InvokeAsync(HttpContext context)
    {
        var policy = ProxyRoute.Policy(context);
        var credential = context.Features.Get<RequestCredential>() ?? RequestCredential.None;
        if (credential.HandBack.Length == 0 || !BrowserSession.IsNavigation(context.Request))
        {
            return next(context);
        }

        if (policy.Auth is AuthMode.Public or AuthMode.Key)
        {
            context.Response.Headers.CacheControl = "no-store";
            context.Response.Redirect(BrowserSession.CleanUrl(context.Request));
            return Task.CompletedTask;
        }

        return signingKeys.IsLoaded
            ? handBack.TakeAsync(context, credential.HandBack, (role, company) => PolicyStep.UserRefusal(policy, role, company))
            : CallerStep.SigningKeysMissingAsync(context);
    }
}
