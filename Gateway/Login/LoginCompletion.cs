using System.Security.Claims;
using Tribuo.Gateway.Tokens;
using Tribuo.Gateway.Users;

namespace Tribuo.Gateway.Login;

/// <summary>
/// The end of every successful login, whatever the provider: find or create the user, sign the token the
/// sites read, and send the browser back to the (re-validated) origin with <c>?token=</c>, or with the
/// DataPass-style parameters for origins that asked for them.
/// </summary>
internal sealed partial class LoginCompletion(UserAccounts accounts, TokenService tokens, LoginOptions options, Operations.GatewayMetrics metrics, Operations.AuditTrail trail, ILogger<LoginCompletion> logger)
{
    public static ExternalLogin? ReadLogin(string provider, ClaimsPrincipal principal, ProviderOptions providerOptions)
    {
        // Only what the gateway derived itself (ProviderClaims), never a claim of the same name the provider sent.
        var derived = ProviderClaims.Find(principal);
        string? Claim(string type) => derived?.FindFirst(type)?.Value;
        if (Claim(ProviderClaims.Subject) is not { } subject || ProviderEmail(Claim(ProviderClaims.Email)) is not { } email)
        {
            return null;
        }

        return new ExternalLogin
        {
            Provider = provider,
            Subject = subject,
            Email = email,
            Name = Claim(ProviderClaims.Name)?.Trim() ?? "",
            ImgUrl = Claim(ProviderClaims.Picture),
            EmailVerified = ProviderClaims.IsEmailVerified(principal, providerOptions),
            Company = providerOptions.Company ?? Claim(ProviderClaims.Company),
            Role = Claim(ProviderClaims.Role),
            OrganizationSiret = Claim(ProviderClaims.OrganizationSiret),
            PreferredUserId = providerOptions.IsZoho ? Claim(ProviderClaims.PreferredUserId) : null,
            IsDataPass = providerOptions.IsDataPass,
        };
    }

    /// <summary>
    /// The provider's e-mail as the address it is: without the white space around it (<c>" alice@acme.fr"</c> was a
    /// second user, whose <c>X-Tribuo-User-Email</c> upstreams read, trimmed, as alice's: an outside probe), and null
    /// (the login fails with <c>error=provider</c>) for one with white space or control characters inside, or no '@'.
    /// </summary>
    private static string? ProviderEmail(string? claimed)
    {
        var email = claimed?.Trim();
        return email is { Length: > 2 } && email.IndexOf('@') > 0 && !email.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)) ? email : null;
    }

    /// <summary>
    /// Signs the user in and answers with the redirect back to the site. The token is also kept as the hub's
    /// own session cookie, so that the next site asking for a login gets one without a second round trip to
    /// the provider (single sign-on); logging out anywhere revokes it.
    /// </summary>
    public async Task CompleteAsync(HttpContext context, ExternalLogin login, bool linkByEmail, ReturnUrl returnUrl, AllowedOrigins origins)
    {
        User user;
        try
        {
            user = await accounts.SignInAsync(login, linkByEmail, options.Admins, context.RequestAborted);
        }
        catch (LoginRefusedException refused)
        {
            Log.Refused(logger, login.Provider, refused.Error);
            metrics.Login(login.Provider, refused.Error);
            trail.Record("login.failure", login.Provider, refused.Error);
            context.Response.Redirect(LoginEndpoints.FailureRedirect(returnUrl.Url, refused.Error));
            return;
        }
        catch (Exception ex) when (Storage.StoreErrors.IsNotOwnCancellation(ex, context.RequestAborted))
        {
            Log.StoreUnavailable(logger, login.Provider, ex.GetType().Name);
            metrics.Login(login.Provider, "unavailable");
            await LoginPage.WriteUnavailableAsync(context);
            return;
        }

        Log.LoggedIn(logger, user.Id, login.Provider, returnUrl.Origin);
        metrics.Login(login.Provider, "success");
        trail.Record("login.success", user.Id, $"{login.Provider} for {returnUrl.Origin}");
        var token = tokens.Issue(user);
        SessionCookie.Set(context, token);
        context.Response.Redirect(ReturnTo(user, token, returnUrl, origins));
    }

    /// <summary>Where the browser goes with an existing token: the site, with <c>?token=</c> or the DataPass-style parameters.</summary>
    public string ReturnTo(User user, string token, ReturnUrl returnUrl, AllowedOrigins origins)
    {
        if (origins.WantsQueryHandoff(returnUrl.Origin))
        {
            // Nor a token the origin came with: these sites get no token from the gateway.
            return returnUrl.Without(BrowserSession.TokenParameter).With(
                ("organization_siret", user.OrganizationSiret ?? ""),
                ("email", user.Email),
                ("role", user.Role),
                ("api_token", accounts.ReadApiToken(user) ?? ""));
        }

        return returnUrl.With((BrowserSession.TokenParameter, token));
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 612, Level = LogLevel.Warning, Message = "Login through {Provider} could not be completed: a store is unreachable ({Kind})")]
        public static partial void StoreUnavailable(ILogger logger, string provider, string kind);

        [LoggerMessage(EventId = 611, Level = LogLevel.Warning, Message = "audit: login through {Provider} refused ({Error}): its e-mail belongs to another account")]
        public static partial void Refused(ILogger logger, string provider, string error);

        [LoggerMessage(EventId = 610, Level = LogLevel.Information, Message = "audit: user {UserId} logged in through {Provider} for {Origin}")]
        public static partial void LoggedIn(ILogger logger, string userId, string provider, string origin);
    }
}
