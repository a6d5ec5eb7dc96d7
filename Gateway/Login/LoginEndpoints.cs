using Microsoft.AspNetCore.Authentication;
using Tribuo.Gateway.Tokens;
using Tribuo.Gateway.Users;

namespace Tribuo.Gateway.Login;

/// <summary>
/// <c>/login</c>, <c>/auth/login-{provider}</c> and <c>/auth/login-password</c>. The provider callbacks
/// (<c>/auth/new-token/{provider}</c>) are answered by the providers' handlers, see <see cref="LoginExtensions"/>.
/// </summary>
internal static partial class LoginEndpoints
{
    public const string OriginKey = "origin";

    public static void MapLogin(this RouteGroupBuilder gateway)
    {
        gateway.MapGet("/login", ShowLoginAsync);

        gateway.MapGet("/auth/login-failed", (HttpContext context, string? error) =>
            LoginPage.WriteErrorAsync(context, StatusCodes.Status400BadRequest, LoginTexts.Current.LoginNotCompleted, LoginTexts.Current.ErrorSentence(error ?? "failed")!));
        gateway.MapGet("/auth/login-{provider}", StartProviderLoginAsync);
        gateway.MapPost("/auth/login-password", PasswordLoginAsync).DisableAntiforgery();
    }

    public static IReadOnlyList<ProviderButton> Buttons(LoginOptions options) =>
        options.Providers.Select(p => new ProviderButton(p.Key.ToLowerInvariant(), p.Value.DisplayName ?? p.Key)).ToArray();

    /// <summary>Where a failed login lands: the login page for its origin, or the error page when the origin is unknown.</summary>
    public static string FailureRedirect(string? origin, string error) =>
        origin is null ? $"/auth/login-failed?error={error}" : $"/login?origin={Uri.EscapeDataString(origin)}&error={error}";

    /// <summary>
    /// The login page, unless the browser already has a session with the hub: then it goes straight back to
    /// the site with that token. An <c>error</c> always shows the page, so a refused person can switch account.
    /// </summary>
    private static async Task ShowLoginAsync(HttpContext context, AllowedOrigins origins, LoginOptions options, TokenService tokens,
        IUserStore users, LoginCompletion completion, LegacyPasswordsSwitch legacy, IConfiguration configuration, string? origin, string? error)
    {
        // The page's buttons start logins, which finish only on the hub (see LoginHost); its session cookie is there too.
        if (LoginHost.Redirect(context.Request, Hosting.PublicUrl.Read(configuration)) is { } hub)
        {
            context.Response.Redirect(hub);
            return;
        }

        if (origins.Check(origin, out var reason) is not { } returnUrl)
        {
            await LoginPage.WriteErrorAsync(context, StatusCodes.Status400BadRequest, LoginTexts.Current.InvalidLoginLink, reason);
            return;
        }

        // Two session cookies (one may be tossed from a sibling subdomain) are no session at all: the page
        // shows, and neither token is sent to the site (DESIGN §6: never resolved by order).
        User? user = null;
        if (tokens.IsReady && Proxy.SessionCookiePairs.Read(context.Request.Headers.Cookie, out var session) == 1 && session.Length > 0
            && await tokens.ValidateAsync(session) is { } identity)
        {
            try
            {
                user = await users.GetAsync(identity.UserId, context.RequestAborted);
            }
            catch (Exception ex) when (Storage.StoreErrors.IsNotOwnCancellation(ex, context.RequestAborted))
            {
                await LoginPage.WriteUnavailableAsync(context);
                return;
            }

            if (user is not null && error is null)
            {
                context.Response.Headers.CacheControl = "no-store";
                context.Response.Redirect(completion.ReturnTo(user, session, returnUrl, origins));
                return;
            }
        }

        // With an error the page always shows (to switch account), naming the account this browser is logged in with.
        await LoginPage.WriteLoginAsync(context, returnUrl, Buttons(options), await legacy.IsOnAsync(context.RequestAborted), error, signedInAs: user);
    }

    private static async Task StartProviderLoginAsync(HttpContext context, string provider, string? origin, AllowedOrigins origins, LoginOptions options,
        IConfiguration configuration, ILoggerFactory loggers)
    {
        if (LoginHost.Redirect(context.Request, Hosting.PublicUrl.Read(configuration)) is { } hub)
        {
            context.Response.Redirect(hub);
            return;
        }

        if (origins.Check(origin, out var reason) is not { } returnUrl)
        {
            await LoginPage.WriteErrorAsync(context, StatusCodes.Status400BadRequest, LoginTexts.Current.InvalidLoginLink, reason);
            return;
        }

        if (!options.Providers.ContainsKey(provider))
        {
            await LoginPage.WriteErrorAsync(context, StatusCodes.Status404NotFound, LoginTexts.Current.UnknownProviderTitle, LoginTexts.Current.UnknownProvider(provider));
            return;
        }

        var properties = new AuthenticationProperties();
        properties.Items[OriginKey] = returnUrl.Url;
        try
        {
            await context.ChallengeAsync(provider.ToLowerInvariant(), properties);
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException or TimeoutException or System.Security.Cryptography.CryptographicException)
        {
            // The login state is protected with data-protection keys kept in the users' database.
            await LoginPage.WriteUnavailableAsync(context);
        }
        catch (Exception ex) when (ex is HttpRequestException or InvalidOperationException or TaskCanceledException or IOException)
        {
            // Discovery failed: the provider is down or misconfigured.
            Log.ProviderUnreachable(loggers.CreateLogger(typeof(LoginEndpoints)), provider, ex.GetType().Name);
            context.Response.Redirect(FailureRedirect(returnUrl.Url, "provider"));
        }
    }

    private static async Task PasswordLoginAsync(HttpContext context, AllowedOrigins origins, LoginOptions options, IUserStore users,
        PasswordAttempts attempts, LoginCompletion completion, LegacyPasswordsSwitch legacy, IConfiguration configuration, ILoggerFactory loggers)
    {
        // Login CSRF: a browser posts this form with an Origin (or Sec-Fetch-Site); only the gateway's own page may.
        if (RequestOrigin.IsCrossSite(context.Request, configuration["Gateway:PublicUrl"]))
        {
            await LoginPage.WriteErrorAsync(context, StatusCodes.Status403Forbidden, LoginTexts.Current.CrossSiteFormTitle,
                LoginTexts.Current.CrossSiteFormSentence);
            return;
        }

        var (form, status) = await PasswordForm.ReadAsync(context);
        if (form is null)
        {
            // A body over the limit gets the page (a person may have pasted too much); 415 and 400 are not what
            // the login page sends: they get the problem+json every gateway endpoint answers (DESIGN §8).
            await (status switch
            {
                StatusCodes.Status413PayloadTooLarge => LoginPage.WriteErrorAsync(context, status, LoginTexts.Current.FormTooLargeTitle,
                    LoginTexts.Current.FormTooLarge(PasswordForm.MaxBytes / 1024)),
                StatusCodes.Status415UnsupportedMediaType => Http.Problem.WriteAsync(context, status, "Unsupported content type",
                    "(body): the login form is application/x-www-form-urlencoded."),
                _ => Http.Problem.WriteAsync(context, status, "Invalid request body",
                    "(form): cannot be read as a login form (at most 16 fields, names up to 64 characters, URL-encoded)."),
            });
            return;
        }

        if (origins.Check(form[OriginKey], out var reason) is not { } returnUrl)
        {
            await LoginPage.WriteErrorAsync(context, StatusCodes.Status400BadRequest, LoginTexts.Current.InvalidLoginLink, reason);
            return;
        }

        var email = form["email"].ToString().Trim();
        var password = form["password"].ToString();
        var address = context.Connection.RemoteIpAddress?.ToString() ?? "";
        var offered = await legacy.IsOnAsync(context.RequestAborted);
        if (!offered || email.Length == 0 || password.Length == 0 || email.Length > PasswordForm.MaxEmailLength || password.Length > PasswordForm.MaxPasswordLength)
        {
            await LoginPage.WriteLoginAsync(context, returnUrl, Buttons(options), offered, "password", StatusCodes.Status400BadRequest);
            return;
        }

        // The attempt is counted before the hash is computed, so parallel guesses cannot all pass the lockout.
        var account = email.ToLowerInvariant();
        if (!attempts.TryReserve(account, address))
        {
            await LoginPage.WriteLoginAsync(context, returnUrl, Buttons(options), offered, "locked", StatusCodes.Status429TooManyRequests);
            return;
        }

        User? user;
        string? hash;
        try
        {
            user = await users.FindByEmailAsync(email, context.RequestAborted);
            hash = user is null ? null : await users.GetLegacyPasswordHashAsync(user.Id, context.RequestAborted);
        }
        catch (Exception ex) when (Storage.StoreErrors.IsNotOwnCancellation(ex, context.RequestAborted))
        {
            await LoginPage.WriteUnavailableAsync(context);
            return;
        }

        if (!LegacyPasswordHash.Verify(password, hash) || user is null)
        {
            context.RequestServices.GetRequiredService<Operations.GatewayMetrics>().Login("password", "password");
            context.RequestServices.GetRequiredService<Operations.AuditTrail>().Record("login.password_refused", address);
            Log.PasswordRefused(loggers.CreateLogger(typeof(LoginEndpoints)), address);
            await LoginPage.WriteLoginAsync(context, returnUrl, Buttons(options), offered, "password", StatusCodes.Status401Unauthorized);
            return;
        }

        attempts.Reset(account);
        if (LegacyPasswordHash.NeedsRehash(hash))
        {
            // Older parameters answer faster than an unknown account would: bring the hash to today's cost.
            await users.SetLegacyPasswordHashAsync(user.Id, LegacyPasswordHash.CreateCurrent(password), context.RequestAborted);
        }

        // The password proves the account itself: its identity is the user's own id.
        var login = new ExternalLogin { Provider = "password", Subject = user.Id, Email = user.Email, EmailVerified = true, Name = user.Name, PreferredUserId = user.Id };
        await completion.CompleteAsync(context, login, linkByEmail: false, returnUrl, origins);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 620, Level = LogLevel.Warning, Message = "Login provider {Provider} unreachable ({Kind})")]
        public static partial void ProviderUnreachable(ILogger logger, string provider, string kind);

        [LoggerMessage(EventId = 621, Level = LogLevel.Warning, Message = "audit: password login refused from {Address}")]
        public static partial void PasswordRefused(ILogger logger, string address);
    }
}
