using Tribuo.Gateway.Keys;
using Tribuo.Gateway.Login;
using Tribuo.Gateway.Routes;
using Tribuo.Gateway.Tokens;
using Tribuo.Gateway.Users;

namespace Tribuo.Gateway.Proxy;

/// <summary>
/// Proxy step, on every route but public ones: turns the request's one credential into a caller, or
/// answers. A gateway token (<c>Bearer</c> or the session cookie) is a user, on routes open to users; a
/// <c>KEY</c> must be active, and a key tied to a user brings that user along. Browsers without a session
/// are sent to the login page; everything else gets 401/503 problem+json.
/// </summary>
internal sealed class CallerStep(RequestDelegate next, KeyAuthenticator keys, TokenService tokens, SigningKeys signingKeys,
    UserDirectory users, BrowserSession browser)
{
    public Task InvokeAsync(HttpContext context)
    {
        var policy = ProxyRoute.Policy(context);
        if (policy.Auth == AuthMode.Public)
        {
            return next(context);
        }

        if (!signingKeys.IsLoaded)
        {
            return SigningKeysMissingAsync(context);
        }

        var credential = context.Features.Get<RequestCredential>() ?? RequestCredential.None;
        if (policy.Auth != AuthMode.Key)
        {
            var navigation = BrowserSession.IsNavigation(context.Request);
            switch (credential.Kind)
            {
                case CredentialKind.Bearer or CredentialKind.SessionCookie:
                    return ResolveUserTokenAsync(context, credential, navigation);
                case CredentialKind.AmbiguousCookie:
                    // Logging in again does not cure it while the other cookie (tossed by a sibling subdomain with a
                    // Domain) is still sent: the login page says so, and the gateway's own host cookie goes.
                    return SessionRefusedAsync(context, navigation, "Two session cookies",
                        "The request carries more than one tribuo_cloud_token cookie; the gateway's own was cleared. Clear this site's cookies, then log in again.",
                        clearCookie: true, error: "cookies");
                case CredentialKind.None when navigation:
                    context.Response.Redirect(browser.LoginUrl(context.Request, error: null));
                    return Task.CompletedTask;
                case CredentialKind.None when policy.Auth == AuthMode.User:
                    return LoginRequiredAsync(context, policy);
            }
        }

        return ResolveKeyAsync(context, credential);
    }

    /// <summary>Without signing keys no token can be checked and no assertion signed for the upstream.</summary>
    public static Task SigningKeysMissingAsync(HttpContext context) =>
        Http.Problem.UnavailableAsync(context, "Gateway starting", "The gateway's signing keys are not loaded yet.");

    private async Task ResolveUserTokenAsync(HttpContext context, RequestCredential credential, bool navigation)
    {
        if (!tokens.IsReady)
        {
            // The revocation list is not loaded yet: the token may have been logged out (DESIGN §5).
            await Http.Problem.UnavailableAsync(context, "Sessions unavailable", "The gateway cannot check sessions right now.");
            return;
        }

        if (await tokens.ValidateCachedAsync(credential.Token) is not { } identity)
        {
            await SessionRefusedAsync(context, navigation, "Invalid or expired session",
                "The token was not issued by the gateway, has expired, or was revoked. Log in again.",
                clearCookie: credential.Kind == CredentialKind.SessionCookie);
            return;
        }

        // Role, company and existence as the store says now, not as the token said when it was signed (DESIGN §5).
        User? current;
        try
        {
            current = await users.GetAsync(identity.UserId);
        }
        catch (Exception)
        {
            await Http.Problem.UnavailableAsync(context, "User store unavailable", "The gateway cannot check this session's user right now.");
            return;
        }

        if (current is null)
        {
            await SessionRefusedAsync(context, navigation, "Unknown user", "The account behind this session no longer exists.",
                clearCookie: credential.Kind == CredentialKind.SessionCookie);
            return;
        }

        context.Features.Set(new ResolvedCaller
        {
            User = new CallerUser(current.Id, current.Email, current.Name, current.Role, current.Company, current.OrganizationSiret),
            ByCookie = credential.Kind == CredentialKind.SessionCookie,
        });
        await next(context);
    }

    /// <summary>
    /// A cached key answers without awaiting anything: the request then goes on without an async frame of this
    /// step's own (one allocation less per request on the KEY route's common path).
    /// </summary>
    private Task ResolveKeyAsync(HttpContext context, RequestCredential credential)
    {
        var pending = keys.AuthenticateHeaderAsync(credential.Authorization, ConnectionKeyHash.For(context));
        if (!pending.IsCompletedSuccessfully)
        {
            return ResolveKeyLaterAsync(context, pending);
        }

        var result = pending.Result;
        if (result.Status == KeyStatus.Active && result.Key!.Record!.UserId is null)
        {
            context.Features.Set(new ResolvedCaller { Key = result.Key });
            return next(context);
        }

        return AdmitKeyAsync(context, result);
    }

    private async Task ResolveKeyLaterAsync(HttpContext context, ValueTask<KeyAuthResult> pending) =>
        await AdmitKeyAsync(context, await pending);

    private async Task AdmitKeyAsync(HttpContext context, KeyAuthResult result)
    {
        if (result.Status != KeyStatus.Active)
        {
            await KeyProblems.RefusedAsync(context, result);
            return;
        }

        var key = result.Key!;
        var (refused, owner) = await KeyOwner.CheckAsync(context, key.Record!, users);
        if (refused)
        {
            return;
        }

        var user = owner is null ? null : new CallerUser(owner.Id, owner.Email, owner.Name, owner.Role, owner.Company, owner.OrganizationSiret);

        context.Features.Set(new ResolvedCaller { Key = key, User = user });
        await next(context);
    }

    private Task SessionRefusedAsync(HttpContext context, bool navigation, string title, string detail, bool clearCookie = false, string error = "expired")
    {
        if (clearCookie)
        {
            SessionCookie.Clear(context);
        }

        if (navigation)
        {
            context.Response.Redirect(browser.LoginUrl(context.Request, error));
            return Task.CompletedTask;
        }

        context.Response.Headers.WWWAuthenticate = "Bearer realm=\"tribuo\", error=\"invalid_token\"";
        return Http.Problem.WriteAsync(context, StatusCodes.Status401Unauthorized, title, detail);
    }

    private static Task LoginRequiredAsync(HttpContext context, RoutePolicy policy)
    {
        context.Response.Headers.WWWAuthenticate = "Bearer realm=\"tribuo\"";
        return Http.Problem.WriteAsync(context, StatusCodes.Status401Unauthorized, "Login required",
            $"Route '{policy.RouteId}' is for logged-in people: send the gateway's token as 'Authorization: Bearer <token>' or log in with a browser.");
    }
}
