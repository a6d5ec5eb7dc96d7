using Microsoft.Net.Http.Headers;
using Tribuo.Gateway.Keys;
using Tribuo.Gateway.Login;
using Tribuo.Gateway.Routes;
using Tribuo.Gateway.Tokens;
using Tribuo.Gateway.Users;

namespace Tribuo.Gateway.Proxy;

/// <summary>
/// Decides whether a caller may use a non-public route (DESIGN §3, §4) and answers when not.
/// A key must be active, come from one of its origins when it has any, and hold one of the route's scopes
/// (only <c>*</c> when the route lists none). A user (a gateway token as <c>Bearer</c> or the
/// <c>tribuo_cloud_token</c> cookie, or a key tied to a user) must have one of the route's roles and
/// companies when it lists them.
/// </summary>
internal sealed class RouteAccess(KeyAuthenticator keys, SiteOrigins siteOrigins, TokenService tokens, SigningKeys signingKeys, UserDirectory users,
    BrowserSession browser, AllowedOrigins loginOrigins, SessionHandBack handBack)
{
    public async Task AuthorizeAsync(HttpContext context, RoutePolicy policy, RequestDelegate next)
    {
        var request = context.Request;
        if (IsPreflight(request))
        {
            await AnswerPreflightAsync(context, policy);
            return;
        }

        if (!signingKeys.IsLoaded)
        {
            // Without them no token can be checked and no assertion signed for the upstream.
            await Http.Problem.UnavailableAsync(context, "Gateway starting", "The gateway's signing keys are not loaded yet.");
            return;
        }

        if (policy.Auth != AuthMode.Key)
        {
            var navigation = BrowserSession.IsNavigation(request);
            if (navigation && BrowserSession.HasTokenParameter(request, out var handedBack))
            {
                await handBack.TakeAsync(context, handedBack, (role, company) => UserRefusal(policy, role, company));
                return;
            }

            // A token in the URL is for the hand-back above; whoever sends one elsewhere, it is not forwarded.
            BrowserSession.RemoveTokenParameter(request);
            var bearer = TokenEndpoints.BearerToken(request);
            if ((bearer ?? request.Cookies[SessionCookie.Name]) is { Length: > 0 } token)
            {
                await AuthorizeUserTokenAsync(context, policy, token, fromHeader: bearer is not null, navigation, next);
                return;
            }

            var hasCredential = request.Headers.Authorization.Count > 0;
            if (navigation && !hasCredential)
            {
                context.Response.Redirect(browser.LoginUrl(request, error: null));
                return;
            }

            if (policy.Auth == AuthMode.User && !hasCredential)
            {
                await LoginRequiredAsync(context, policy);
                return;
            }
        }

        var result = await keys.AuthenticateHeaderAsync(request.Headers.Authorization.ToString());
        if (result.Status != KeyStatus.Active)
        {
            await KeyProblems.RefusedAsync(context, result);
            return;
        }

        var key = result.Key!;
        var record = key.Record!;
        string? corsOrigin = null;
        if (record.Origins.Count > 0)
        {
            var origin = request.Headers.Origin.ToString();
            if (!record.Origins.Contains(origin, StringComparer.Ordinal))
            {
                await KeyProblems.ForbiddenAsync(context, "Origin not allowed for this key",
                    $"Key '{record.Id}' is a site key and may only be used from its own web origins.");
                return;
            }

            corsOrigin = origin;
        }

        CallerUser? user = null;
        if (record.UserId is { } userId)
        {
            User? owner;
            try
            {
                owner = await users.GetAsync(userId);
            }
            catch (Exception)
            {
                await Http.Problem.UnavailableAsync(context, "User store unavailable", "The gateway cannot check this key's owner right now.");
                return;
            }

            if (owner is null)
            {
                await KeyProblems.ForbiddenAsync(context, "Key owner unknown", $"Key '{record.Id}' belongs to a user who no longer exists.");
                return;
            }

            user = new CallerUser(owner.Id, owner.Email, owner.Name, owner.Role, owner.Company, owner.OrganizationSiret);
        }

        if (policy.Auth == AuthMode.User ? user is null : !(policy.Scopes.Count == 0 ? key.HasAllScopes : key.HoldsAnyOf(policy.Scopes)))
        {
            await KeyProblems.ForbiddenAsync(context, policy.Auth == AuthMode.User ? "User login required" : "Scope missing",
                policy.Auth == AuthMode.User
                    ? $"Route '{policy.RouteId}' is for logged-in people; key '{record.Id}' is not a user's API token."
                    : $"Key '{record.Id}' does not hold {(policy.Scopes.Count == 0 ? "'*', which this route requires" : "any of: " + string.Join(' ', policy.Scopes))}.");
            return;
        }

        if (user is not null && UserRefusal(policy, user.Role, user.Company) is { } refusal)
        {
            await KeyProblems.ForbiddenAsync(context, "Not allowed for this user", refusal);
            return;
        }

        if (!policy.ForwardAuthorization)
        {
            request.Headers.Remove(HeaderNames.Authorization);
        }

        context.Features.Set(new GatewayCaller { KeyId = record.Id, KeyScopes = key.ScopesHeader, CorsOrigin = corsOrigin, User = user });
        await next(context);
    }

    private async Task AuthorizeUserTokenAsync(HttpContext context, RoutePolicy policy, string token, bool fromHeader, bool navigation, RequestDelegate next)
    {
        if (await tokens.ValidateCachedAsync(token) is not { } identity)
        {
            if (!fromHeader)
            {
                SessionCookie.Clear(context);
            }

            if (navigation)
            {
                context.Response.Redirect(browser.LoginUrl(context.Request, "expired"));
                return;
            }

            context.Response.Headers.WWWAuthenticate = "Bearer realm=\"tribuo\", error=\"invalid_token\"";
            await Http.Problem.WriteAsync(context, StatusCodes.Status401Unauthorized, "Invalid or expired session",
                "The token was not issued by the gateway, has expired, or was revoked. Log in again.");
            return;
        }

        if (UserRefusal(policy, identity.Role, identity.Company) is { } refusal)
        {
            if (navigation)
            {
                context.Response.Redirect(browser.LoginUrl(context.Request, "permission"));
                return;
            }

            await KeyProblems.ForbiddenAsync(context, "Not allowed for this user", refusal);
            return;
        }

        var request = context.Request;
        if (fromHeader && !policy.ForwardAuthorization)
        {
            request.Headers.Remove(HeaderNames.Authorization);
        }

        // The session cookie is the gateway's: the upstream gets the identity headers, never the token.
        RemoveSessionCookie(request);
        var origin = request.Headers.Origin.ToString();
        context.Features.Set(new GatewayCaller
        {
            User = new CallerUser(identity.UserId, identity.Email, identity.Name, identity.Role, identity.Company, identity.OrganizationSiret),
            // A site's script calling with the session cookie from another allowed origin may read the answer.
            CorsOrigin = !fromHeader && origin.Length > 0 && loginOrigins.Contains(origin) ? origin : null,
            CorsWithCredentials = !fromHeader,
        });
        await next(context);
    }

    private static Task LoginRequiredAsync(HttpContext context, RoutePolicy policy)
    {
        context.Response.Headers.WWWAuthenticate = "Bearer realm=\"tribuo\"";
        return Http.Problem.WriteAsync(context, StatusCodes.Status401Unauthorized, "Login required",
            $"Route '{policy.RouteId}' is for logged-in people: send the gateway's token as 'Authorization: Bearer <token>' or log in with a browser.");
    }

    /// <summary>Why a user may not use this route, or null when the route's roles and companies allow them.</summary>
    public static string? UserRefusal(RoutePolicy policy, string role, string? company)
    {
        if (policy.Roles.Count > 0 && !policy.Roles.Contains(role, StringComparer.Ordinal))
        {
            return $"Route '{policy.RouteId}' is open to the roles {string.Join(", ", policy.Roles)}; this account's role is '{role}'.";
        }

        if (policy.Companies.Count > 0 && (company is null || !policy.Companies.Contains(company, StringComparer.OrdinalIgnoreCase)))
        {
            return $"Route '{policy.RouteId}' is open to people of {string.Join(", ", policy.Companies)}.";
        }

        return null;
    }

    private static void RemoveSessionCookie(HttpRequest request)
    {
        if (!request.Cookies.ContainsKey(SessionCookie.Name))
        {
            return;
        }

        var kept = request.Cookies.Where(c => c.Key != SessionCookie.Name).Select(c => $"{c.Key}={c.Value}").ToArray();
        if (kept.Length == 0)
        {
            request.Headers.Remove(HeaderNames.Cookie);
        }
        else
        {
            request.Headers.Cookie = string.Join("; ", kept);
        }
    }

    private static bool IsPreflight(HttpRequest request) =>
        HttpMethods.IsOptions(request.Method)
        && request.Headers.ContainsKey(HeaderNames.Origin)
        && request.Headers.ContainsKey(HeaderNames.AccessControlRequestMethod);

    /// <summary>
    /// A preflight carries no credential, so it is decided on the origin alone: allowed when a site key bound
    /// to that origin could pass this route. Answered here, never proxied.
    /// </summary>
    private async Task AnswerPreflightAsync(HttpContext context, RoutePolicy policy)
    {
        var origin = context.Request.Headers.Origin.ToString();
        var response = context.Response;
        response.Headers.Vary = "Origin";
        if (policy.Auth != AuthMode.Key && loginOrigins.Contains(origin))
        {
            // The sites' own origins may call user routes with the session cookie.
            response.Headers.AccessControlAllowCredentials = "true";
        }
        else if (policy.Auth == AuthMode.User || !await siteOrigins.AllowsAsync(origin, policy.Scopes))
        {
            await KeyProblems.ForbiddenAsync(context, "Origin not allowed", $"No site key for this origin may call route '{policy.RouteId}'.");
            return;
        }

        response.StatusCode = StatusCodes.Status204NoContent;
        response.Headers.AccessControlAllowOrigin = origin;
        response.Headers.AccessControlAllowMethods = context.Request.Headers.AccessControlRequestMethod;
        response.Headers.AccessControlAllowHeaders = "Authorization, Content-Type";
        response.Headers.AccessControlMaxAge = "600";
    }
}
