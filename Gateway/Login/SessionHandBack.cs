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
    /// role and company, or null when it admits them.
    /// </summary>
    public async Task TakeAsync(HttpContext context, string token, Func<string, string?, string?> refusal)
    {
        var request = context.Request;
        if (await tokens.ValidateCachedAsync(token) is not { } identity)
        {
            SessionCookie.Clear(context);
            context.Response.Redirect(browser.LoginUrl(request, "expired"));
            return;
        }

        if (refusal(identity.Role, identity.Company) is not null)
        {
            context.Response.Redirect(browser.LoginUrl(request, "permission"));
            return;
        }

        SessionCookie.Set(context, token);
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Redirect(BrowserSession.CleanUrl(request));
    }
}
