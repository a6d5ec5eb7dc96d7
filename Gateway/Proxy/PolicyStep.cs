using Tribuo.Gateway.Http;
using Tribuo.Gateway.Keys;
using Tribuo.Gateway.Login;
using Tribuo.Gateway.Routes;

namespace Tribuo.Gateway.Proxy;

/// <summary>
/// Proxy step: decides the resolved caller against the route's policy (DESIGN §3, §4). A key must come from
/// one of its origins when it has any and hold one of the route's scopes (only <c>*</c> when the route
/// lists none); a user, or a key's owner, must have one of the route's roles and companies when it lists
/// them. What passes becomes the <see cref="GatewayCaller"/> the upstream request is shaped from.
/// </summary>
internal sealed class PolicyStep(RequestDelegate next, BrowserSession browser, AllowedOrigins loginOrigins)
{
    public Task InvokeAsync(HttpContext context)
    {
        var policy = ProxyRoute.Policy(context);
        if (policy.Auth == AuthMode.Public || context.Features.Get<ResolvedCaller>() is not { } caller)
        {
            return policy.Auth == AuthMode.Public
                ? next(context)
                : Http.Problem.WriteAsync(context, StatusCodes.Status401Unauthorized, "Credential required", "No caller was resolved for this route.");
        }

        return caller.Key is { } key ? DecideKeyAsync(context, policy, key, caller.User) : DecideUserAsync(context, policy, caller);
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

    private Task DecideKeyAsync(HttpContext context, RoutePolicy policy, CachedKey key, CallerUser? user)
    {
        var record = key.Record!;
        string? corsOrigin = null;
        if (record.Origins.Count > 0)
        {
            // Refused before forwarding when the origin could not be echoed in the answer (EchoedOrigin).
            var origin = context.Request.Headers.Origin.ToString();
            if (!record.Origins.Contains(origin, StringComparer.Ordinal) || !EchoedOrigin.CanEcho(origin))
            {
                return KeyProblems.ForbiddenAsync(context, "Origin not allowed for this key",
                    $"Key '{record.Id}' is a site key and may only be used from its own web origins.");
            }

            corsOrigin = origin;
        }

        if (policy.Auth == AuthMode.User && user is null)
        {
            return KeyProblems.ForbiddenAsync(context, "User login required",
                $"Route '{policy.RouteId}' is for logged-in people; key '{record.Id}' is not a user's API token.");
        }

        if (policy.Auth != AuthMode.User && !(policy.Scopes.Count == 0 ? key.HasAllScopes : key.HoldsAnyOf(policy.Scopes)))
        {
            return KeyProblems.ForbiddenAsync(context, "Scope missing",
                $"Key '{record.Id}' does not hold {(policy.Scopes.Count == 0 ? "'*', which this route requires" : "any of: " + string.Join(' ', policy.Scopes))}.");
        }

        if (user is not null && UserRefusal(policy, user.Role, user.Company) is { } refusal)
        {
            return KeyProblems.ForbiddenAsync(context, "Not allowed for this user", refusal);
        }

        context.Features.Set(new GatewayCaller { KeyId = record.Id, KeyScopes = key.ScopesHeader, CorsOrigin = corsOrigin, User = user, KeyRateLimits = record.RateLimits });
        return next(context);
    }

    private Task DecideUserAsync(HttpContext context, RoutePolicy policy, ResolvedCaller caller)
    {
        var user = caller.User!;
        if (UserRefusal(policy, user.Role, user.Company) is { } refusal)
        {
            if (BrowserSession.IsNavigation(context.Request))
            {
                context.Response.Redirect(browser.LoginUrl(context.Request, "permission"));
                return Task.CompletedTask;
            }

            return KeyProblems.ForbiddenAsync(context, "Not allowed for this user", refusal);
        }

        var origin = context.Request.Headers.Origin.ToString();
        context.Features.Set(new GatewayCaller
        {
            User = user,
            // A site's script calling with the session cookie from another allowed origin may read the answer.
            CorsOrigin = caller.ByCookie && origin.Length > 0 && loginOrigins.Contains(origin) ? origin : null,
            CorsWithCredentials = caller.ByCookie,
        });
        return next(context);
    }
}
