using Microsoft.Net.Http.Headers;
using Tribuo.Gateway.Http;
using Tribuo.Gateway.Keys;
using Tribuo.Gateway.Login;
using Tribuo.Gateway.Routes;

namespace Tribuo.Gateway.Proxy;

/// <summary>
/// Proxy step: CORS preflights on <c>key</c>, <c>user</c> and <c>any</c> routes are answered by the gateway,
/// never proxied. A preflight carries no credential, so it is decided on the origin alone: allowed when a
/// site key bound to that origin could pass the route, or, on routes open to users, when the origin is one
/// of the login hub's allowed origins (the sites' scripts call with the session cookie).
/// </summary>
internal sealed class PreflightStep(RequestDelegate next, SiteOrigins siteOrigins, AllowedOrigins loginOrigins)
{
    /// <summary>Longer than any method a site calls; the requested method is echoed, so what strangers send is bounded.</summary>
    private const int MaxMethodLength = 32;

    public Task InvokeAsync(HttpContext context)
    {
        var policy = ProxyRoute.Policy(context);
        return policy.Auth != AuthMode.Public && IsPreflight(context.Request) ? AnswerAsync(context, policy) : next(context);
    }

    private static bool IsPreflight(HttpRequest request) =>
        HttpMethods.IsOptions(request.Method)
        && request.Headers.ContainsKey(HeaderNames.Origin)
        && request.Headers.ContainsKey(HeaderNames.AccessControlRequestMethod);

    private async Task AnswerAsync(HttpContext context, RoutePolicy policy)
    {
        // Echoed into Access-Control-Allow-Methods: a value Kestrel cannot write (non-ASCII) threw there, a 500.
        var method = context.Request.Headers.AccessControlRequestMethod.ToString();
        if (method.Length > MaxMethodLength || !HeaderName.IsToken(method))
        {
            await Problem.WriteAsync(context, StatusCodes.Status400BadRequest, "Malformed preflight",
                $"Access-Control-Request-Method must be one HTTP method name (letters, digits and !#$%&'*+-.^_`|~, at most {MaxMethodLength} characters).");
            return;
        }

        if (RequestTargetGuard.IsRefusedMethod(method))
        {
            await Problem.WriteAsync(context, StatusCodes.Status403Forbidden, "Method not allowed", $"{method.ToUpperInvariant()} is not served by this gateway.");
            return;
        }

        var origin = context.Request.Headers.Origin.ToString();
        var response = context.Response;
        response.Headers.Vary = "Origin";
        var byLogin = policy.Auth != AuthMode.Key && loginOrigins.Contains(origin);
        var answer = byLogin ? SiteOriginAnswer.Allowed
            : policy.Auth == AuthMode.User || !EchoedOrigin.CanEcho(origin) ? SiteOriginAnswer.Refused
            : await siteOrigins.AllowsAsync(origin, policy.Scopes);
        if (answer == SiteOriginAnswer.StoreUnreachable)
        {
            // Not "no key": the store did not answer, as for a key the gateway cannot check (DESIGN §8).
            await Problem.UnavailableAsync(context, "Key store unavailable", "The gateway cannot check this origin's site keys right now.");
            return;
        }

        if (answer != SiteOriginAnswer.Allowed)
        {
            await KeyProblems.ForbiddenAsync(context, "Origin not allowed", $"No site key for this origin may call route '{policy.RouteId}'.");
            return;
        }

        if (byLogin)
        {
            response.Headers.AccessControlAllowCredentials = "true";
        }

        Operations.GatewayRequestFeature.SetAnsweredPreflight(context);
        response.StatusCode = StatusCodes.Status204NoContent;
        response.Headers.AccessControlAllowOrigin = origin;
        response.Headers.AccessControlAllowMethods = method;
        response.Headers.AccessControlAllowHeaders = "Authorization, Content-Type";
        response.Headers.AccessControlMaxAge = "600";
    }
}
