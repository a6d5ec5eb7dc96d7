using Microsoft.Net.Http.Headers;
using Tribuo.Gateway.Login;

namespace Tribuo.Gateway.Proxy;

/// <summary>
/// Proxy step: reads the one credential of the request and takes every gateway credential out of what is
/// forwarded, on every route (DESIGN §7): the <c>Authorization</c> header (unless the route sets
/// <c>ForwardAuthorization</c>), the <c>tribuo_cloud_token</c> cookie pair (the rest of the <c>Cookie</c>
/// header is kept byte for byte) and every <c>token</c> query parameter.
/// </summary>
internal sealed class CredentialStep(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        var policy = ProxyRoute.Policy(context);
        var authorization = request.Headers.Authorization.ToString();
        var sessionCookies = SessionCookiePairs.Read(request.Headers.Cookie, out var sessionToken);
        // Request.Query makes a feature object even for an empty query string: not asked then.
        var handBack = request.QueryString.HasValue && request.Query.TryGetValue(BrowserSession.TokenParameter, out var values) ? values.ToString() : "";

        context.Features.Set(Read(authorization, sessionCookies, sessionToken, handBack));

        if (!policy.ForwardAuthorization)
        {
            request.Headers.Remove(HeaderNames.Authorization);
        }

        if (sessionCookies > 0)
        {
            SessionCookiePairs.Remove(request.Headers);
        }

        TokenParameter.Remove(request);
        return next(context);
    }

    private static RequestCredential Read(string authorization, int sessionCookies, string sessionToken, string handBack)
    {
        if (authorization.Length > 0)
        {
            var kind = Keys.KeySecrets.TryReadKey(authorization, out _) ? CredentialKind.Key
                : authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? CredentialKind.Bearer
                : CredentialKind.OtherScheme;
            var token = kind == CredentialKind.Bearer ? authorization[7..].Trim() : "";
            return new RequestCredential { Kind = kind, Authorization = authorization, Token = token, HandBack = handBack };
        }

        return sessionCookies switch
        {
            0 => handBack.Length == 0 ? RequestCredential.None : new RequestCredential { Kind = CredentialKind.None, HandBack = handBack },
            1 when sessionToken.Length > 0 => new RequestCredential { Kind = CredentialKind.SessionCookie, Token = sessionToken, HandBack = handBack },
            1 => new RequestCredential { Kind = CredentialKind.None, HandBack = handBack },
            _ => new RequestCredential { Kind = CredentialKind.AmbiguousCookie, HandBack = handBack },
        };
    }
}
