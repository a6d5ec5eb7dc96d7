using Tribuo.Gateway.Routes;
using Tribuo.Gateway.Tokens;

namespace Tribuo.Gateway.Login;

/// <summary>
/// The protected-site half of the login round trip (DESIGN §6): a browser back from the login page with
/// <c>?token=</c> gets the session cookie and is sent to the same URL without the token, which thus never
/// reaches the upstream.
/// </summary>
internal sealed class SessionHandBack(TokenService tokens, BrowserSession browser)
{
    /// <summary>
    /// Answers a page load carrying <c>?token=</c>; <paramref name="refusal"/> says why the route refuses this
    /// role and company, or null when it admits them. Only a token from a login this gateway started for this
    /// browser becomes its session; any other hand-back is dropped without touching the session it has.
    /// </summary>
    public async Task TakeAsync(HttpContext context, string token, Func<string, string?, string?> refusal)
    {
        var request = context.Request;
        context.Response.Headers.CacheControl = "no-store";
        if (!BrowserSession.IsBound(request))
        {
            context.Response.Redirect(BrowserSession.CleanUrl(request));
            return;
        }

        if (!tokens.IsReady)
        {
            await Http.Problem.UnavailableAsync(context, "Sessions unavailable", "The gateway cannot check sessions right now.");
            return;
        }

        if (await tokens.ValidateCachedAsync(token) is not { } identity)
        {
            context.Response.Redirect(browser.LoginUrl(request, "expired"));
            return;
        }

        if (refusal(identity.Role, identity.Company) is not null)
        {
            context.Response.Redirect(browser.LoginUrl(request, "permission"));
            return;
        }

        BrowserSession.ForgetBinding(context);
        SessionCookie.Set(context, token);
        context.Response.Redirect(BrowserSession.CleanUrl(request));
    }
}
