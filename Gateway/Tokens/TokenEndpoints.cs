using System.Text.Json;
using Microsoft.Net.Http.Headers;
using Tribuo.Gateway.Http;
using Tribuo.Gateway.Login;

namespace Tribuo.Gateway.Tokens;

/// <summary>
/// <c>/.well-known/jwks.json</c>, the check-token endpoints existing sites call, and <c>POST /auth/logout</c>.
/// check-token answers CORS for the allowed origins, so a site's browser code can call it.
/// </summary>
internal static class TokenEndpoints
{
    public static void MapTokens(this RouteGroupBuilder gateway)
    {
        gateway.MapGet("/.well-known/jwks.json", (HttpContext context, SigningKeys keys) =>
        {
            if (!keys.IsLoaded)
            {
                return Unavailable(context);
            }

            context.Response.Headers.CacheControl = "public, max-age=300";
            context.Response.ContentType = "application/json";
            return context.Response.WriteAsync(JsonSerializer.Serialize(JwksDocument.From(keys.PublicKeys), JwksJson.Default.JwksDocument));
        });

        // The path the sites already call, its short form, and the POST that keeps tokens out of URLs.
        foreach (var path in (string[])["/auth/check-token/{token}", "/check-token/{token}"])
        {
            gateway.MapGet(path, (HttpContext context, string token, TokenService tokens, SigningKeys keys, AllowedOrigins origins) =>
                CheckAsync(context, token, tokens, keys, origins));
        }

        gateway.MapPost("/auth/check-token", async (HttpContext context, TokenService tokens, SigningKeys keys, AllowedOrigins origins) =>
        {
            var body = await TokenBody.ReadAsync(context);
            if (body.Refused)
            {
                AllowCors(context, origins);
                await body.WriteProblemAsync(context);
                return;
            }

            await CheckAsync(context, body.Token, tokens, keys, origins);
        }).DisableAntiforgery();
        foreach (var path in (string[])["/auth/check-token", "/auth/check-token/{token}", "/check-token/{token}"])
        {
            gateway.MapMethods(path, [HttpMethods.Options], (HttpContext context, AllowedOrigins origins) => Preflight(context, origins));
        }

        gateway.MapPost("/auth/logout", LogoutAsync).DisableAntiforgery();
        gateway.MapGet("/auth/logout", LogoutAsync);
    }

    /// <summary>
    /// Revokes the presented token (Bearer, session cookie, or <c>token</c> in the body) until it expires, on
    /// every instance. With <c>?origin=</c> (a site's logout link) the cookie is cleared and the browser goes
    /// to the login page for that origin, validated like a login's.
    /// </summary>
    private static async Task LogoutAsync(HttpContext context, TokenService tokens, RevokedTokens revoked, AllowedOrigins origins, IConfiguration configuration, string? origin)
    {
        ReturnUrl? returnUrl = null;
        if (origin is not null && (returnUrl = origins.Check(origin, out var reason)) is null)
        {
            await LoginPage.WriteErrorAsync(context, StatusCodes.Status400BadRequest, LoginTexts.Current.InvalidLogoutLink, reason);
            return;
        }

        var request = context.Request;
        var bearer = BearerToken(request);
        // Two session cookies are refused, not resolved by order (DESIGN §6): revoking one of them would look
        // like a logout while the other session lives on.
        var sessionCookies = Proxy.SessionCookiePairs.Read(request.Headers.Cookie, out var sessionCookie);
        if (sessionCookies > 1)
        {
            await Problem.WriteAsync(context, StatusCodes.Status401Unauthorized, "Two session cookies",
                "The request carries two tribuo_cloud_token cookies; neither was revoked. Send the token to revoke as 'Authorization: Bearer <token>'.");
            return;
        }

        var cookie = sessionCookies == 1 ? sessionCookie : null;
        // A logout riding on the session cookie needs proof of intent (DESIGN §6): a stray link or image on
        // another site gets the confirmation page; a token sent explicitly (Bearer, body) is intent enough.
        if (bearer is null && !string.IsNullOrEmpty(cookie) && !RequestOrigin.IsSameOrigin(request, configuration["Gateway:PublicUrl"]))
        {
            if (HttpMethods.IsPost(request.Method))
            {
                await Problem.WriteAsync(context, StatusCodes.Status403Forbidden, "Logout refused", "A logout with the session cookie must come from the gateway's own page.");
                return;
            }

            await LoginPage.WriteLogoutAsync(context, returnUrl);
            return;
        }

        var token = bearer ?? cookie;
        if (token is null && HttpMethods.IsPost(request.Method))
        {
            var body = await TokenBody.ReadAsync(context);
            if (body.Refused)
            {
                await body.WriteProblemAsync(context);
                return;
            }

            token = body.Token;
        }

        if (!tokens.IsReady)
        {
            await Unavailable(context);
            return;
        }

        var identity = await tokens.ValidateAsync(token ?? "");
        if (identity is not null)
        {
            Operations.GatewayRequestFeature.SetCaller(context, identity.UserId);
            try
            {
                await revoked.RevokeAsync(identity.Jti, identity.Expires, context.RequestAborted);
            }
            catch (Exception ex) when (Storage.StoreErrors.IsNotOwnCancellation(ex, context.RequestAborted))
            {
                // A logout that only this process knows of is no logout (DESIGN §5): say so rather than 204.
                await Problem.UnavailableAsync(context, "Logout not stored", "The gateway cannot record the logout right now; the token is still valid elsewhere. Try again.");
                return;
            }
        }

        SessionCookie.Clear(context);
        if (returnUrl is not null)
        {
            // To the hub itself: a login page shown on a site's host would start a login whose callback lacks its cookies.
            context.Response.Redirect($"{Hosting.PublicUrl.Read(configuration)}/login?origin={Uri.EscapeDataString(returnUrl.Url)}");
            return;
        }

        if (identity is null)
        {
            await Problem.WriteAsync(context, StatusCodes.Status401Unauthorized, "No valid token", "Send the token to revoke as 'Authorization: Bearer <token>', or add ?origin= to return to a site.");
            return;
        }

        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    public static string? BearerToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;
    }

    private static async Task CheckAsync(HttpContext context, string? token, TokenService tokens, SigningKeys keys, AllowedOrigins origins)
    {
        AllowCors(context, origins);
        if (!tokens.IsReady)
        {
            await Unavailable(context);
            return;
        }

        if (await tokens.ValidateAsync(token ?? "") is not { } identity)
        {
            await Problem.WriteAsync(context, StatusCodes.Status401Unauthorized, "Invalid token",
                "This token was not issued by the gateway, has expired, or was revoked.");
            return;
        }

        context.Response.Headers.CacheControl = "no-store";
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(identity.Claims.GetRawText());
    }

    private static void AllowCors(HttpContext context, AllowedOrigins origins)
    {
        var origin = context.Request.Headers.Origin.ToString();
        // AllowedOrigins refuses non-ASCII origins at start; EchoedOrigin keeps this write from ever throwing regardless.
        if (origins.Contains(origin) && EchoedOrigin.CanEcho(origin))
        {
            context.Response.Headers.AccessControlAllowOrigin = origin;
            context.Response.Headers.Vary = HeaderNames.Origin;
        }
    }

    private static IResult Preflight(HttpContext context, AllowedOrigins origins)
    {
        var origin = context.Request.Headers.Origin.ToString();
        if (origin.Length == 0 || !origins.Contains(origin))
        {
            return Results.StatusCode(StatusCodes.Status403Forbidden);
        }

        AllowCors(context, origins);
        context.Response.Headers.AccessControlAllowMethods = "GET, POST";
        context.Response.Headers.AccessControlAllowHeaders = "Content-Type, Authorization";
        context.Response.Headers.AccessControlMaxAge = "600";
        return Results.NoContent();
    }

    private static Task Unavailable(HttpContext context)
    {
        return Problem.UnavailableAsync(context, "Signing keys unavailable", "The gateway cannot check tokens right now.");
    }
}
