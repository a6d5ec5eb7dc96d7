using Microsoft.Net.Http.Headers;
using Tribuo.Gateway.Keys;
using Tribuo.Gateway.Routes;

namespace Tribuo.Gateway.Proxy;

/// <summary>
/// Decides whether a caller may use a non-public route (DESIGN §3, §4) and answers when not: a key must be
/// active, come from one of its origins when it has any, and hold one of the route's scopes (any scope is
/// not enough when the route lists none: only <c>*</c> keys pass then).
/// </summary>
internal sealed class RouteAccess(KeyAuthenticator keys, SiteOrigins siteOrigins)
{
    public async Task AuthorizeAsync(HttpContext context, RoutePolicy policy, RequestDelegate next)
    {
        var request = context.Request;
        if (IsPreflight(request))
        {
            await AnswerPreflightAsync(context, policy);
            return;
        }

        var result = await keys.AuthenticateHeaderAsync(request.Headers.Authorization.ToString());
        if (result.Status != KeyStatus.Active)
        {
            await KeyProblems.RefusedAsync(context, result);
            return;
        }

        var key = result.Key!;
        var record = key.Record!;
        if (policy.Auth == AuthMode.User)
        {
            await KeyProblems.ForbiddenAsync(context, "User login required", $"Route '{policy.RouteId}' is for logged-in people; API keys are not accepted here.");
            return;
        }

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

        if (policy.Scopes.Count == 0 ? !key.HasAllScopes : !key.HoldsAnyOf(policy.Scopes))
        {
            await KeyProblems.ForbiddenAsync(context, "Scope missing",
                $"Key '{record.Id}' does not hold {(policy.Scopes.Count == 0 ? "'*', which this route requires" : "any of: " + string.Join(' ', policy.Scopes))}.");
            return;
        }

        if (!policy.ForwardAuthorization)
        {
            request.Headers.Remove(HeaderNames.Authorization);
        }

        context.Features.Set(new GatewayCaller { KeyId = record.Id, KeyScopes = key.ScopesHeader, CorsOrigin = corsOrigin });
        await next(context);
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
        if (policy.Auth == AuthMode.User || !await siteOrigins.AllowsAsync(origin, policy.Scopes))
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
