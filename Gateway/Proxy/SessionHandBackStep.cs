using Tribuo.Gateway.Login;
using Tribuo.Gateway.Routes;
using Tribuo.Gateway.Tokens;

namespace Tribuo.Gateway.Proxy;

/// <summary>
/// Proxy step, on routes open to users: a page load back from the login page with <c>?token=</c> is
/// answered by the login hub's <see cref="SessionHandBack"/> (cookie set, same URL without the token).
/// </summary>
internal sealed class SessionHandBackStep(RequestDelegate next, SessionHandBack handBack, SigningKeys signingKeys)
{
    public Task InvokeAsync(HttpContext context)
    {
        var policy = ProxyRoute.Policy(context);
        var credential = context.Features.Get<RequestCredential>() ?? RequestCredential.None;
        var applies = policy.Auth is AuthMode.User or AuthMode.Any
            && credential.HandBack.Length > 0
            && BrowserSession.IsNavigation(context.Request);
        if (!applies)
        {
            return next(context);
        }

        return signingKeys.IsLoaded
            ? handBack.TakeAsync(context, credential.HandBack, (role, company) => PolicyStep.UserRefusal(policy, role, company))
            : CallerStep.SigningKeysMissingAsync(context);
    }
}
