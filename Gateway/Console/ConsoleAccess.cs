using System.Security.Claims;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.Features;
using Tribuo.Gateway.Login;
using Tribuo.Gateway.Tokens;
using Tribuo.Gateway.Users;

namespace Tribuo.Gateway.OperatorsConsole;

/// <summary><c>Gateway:Console</c>.</summary>
internal sealed class ConsoleOptions
{
    /// <summary>Roles whose people may use the console.</summary>
    public List<string> Roles { get; set; } = [];

    /// <summary>Whether a route edit may be written to <c>routes.json</c> (else the new file is offered as a download).</summary>
    public bool EditRoutes { get; set; }

    /// <summary>The configured roles, <c>admin</c> when none is.</summary>
    public IReadOnlyList<string> AllowedRoles => Roles.Count == 0 ? [UserRoles.Admin] : Roles;

    public const string Section = "Gateway:Console";

    /// <summary><c>Gateway:Console</c>: an unknown key, a flag other than true/false or an empty role is an error.</summary>
    public static ConsoleOptions Read(IConfiguration configuration)
    {
        var options = Hosting.SettingValues.Bind(configuration, Section, s => s.Get<ConsoleOptions>(), "Roles");
        options.Roles = Hosting.SettingValues.List(configuration, $"{Section}:Roles");
        if (options.Roles.Any(string.IsNullOrWhiteSpace))
        {
            throw new InvalidOperationException($"{Section}:Roles: a role must not be empty.");
        }

        return options;
    }
}

/// <summary>The person using the console, as the user store has them now.</summary>
internal sealed record ConsoleOperator(string UserId, string Email, string Role)
{
    /// <summary>How audit events name them: the e-mail a reader knows, and the id that does not change.</summary>
    public string Actor => $"{Email} (user {UserId})";

    public static ConsoleOperator? Find(HttpContext context) => context.Items[typeof(ConsoleOperator)] as ConsoleOperator;

    public static ConsoleOperator Of(HttpContext context) => Find(context) ?? throw new InvalidOperationException("Console endpoint reached without ConsoleAccess.");
}

/// <summary>
/// The console's door (DESIGN §9), on every console endpoint: the hub's own browser session (the
/// <c>tribuo_cloud_token</c> cookie protected sites use, never a key), a user whose current role is one of
/// <c>Gateway:Console:Roles</c>, and on every form post a valid antiforgery token bound to that user. A page load
/// without a session goes to the hub's login page and comes back (the same hand-back as protected sites); someone
/// signed in with another role gets a "not allowed" page (403), and so does any post they make.
/// </summary>
internal sealed class ConsoleAccess(TokenService tokens, UserDirectory users, BrowserSession browser, SessionHandBack handBack, ConsoleOptions options, IAntiforgery antiforgery, IConfiguration configuration)
    : IEndpointFilter
{
    /// <summary>Form posts are small; anything larger is not one of the console's forms.</summary>
    private const int MaxFormBytes = 64 * 1024;

    /// <summary>The largest console form has about ten fields; a thousand is not a form a console page sent.</summary>
    private static readonly FormOptions FormLimits = Http.TokenBody.SmallFormLimits(MaxFormBytes, fields: 64);

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var context = invocation.HttpContext;
        var request = context.Request;
        var texts = ConsoleTexts.Current;
        var navigation = BrowserSession.IsNavigation(request);

        // Only on the hub's own host (Gateway:PublicUrl's): on a proxied site's host, the site's own scripts (or an XSS in
        // them) shared the admin's session cookie and origin there, and drove the console (an outside probe minted a '*'
        // key from a docs page). A page load goes to the hub; anything else is not served here.
        if (LoginHost.Redirect(request, Hosting.PublicUrl.Read(configuration)) is { } hub)
        {
            if (navigation && HttpMethods.IsGet(request.Method))
            {
                context.Response.Redirect(hub);
                return Results.Empty;
            }

            return ConsolePage.Message(texts.NotAllowedTitle, texts.SignInSentence, StatusCodes.Status404NotFound);
        }

        if (navigation && request.Query.TryGetValue(BrowserSession.TokenParameter, out var handedBack))
        {
            // Back from the login page: the session is taken whatever the role; the console itself says "not allowed".
            await handBack.TakeAsync(context, handedBack.ToString(), (_, _) => null);
            return Results.Empty;
        }

        if (!tokens.IsReady)
        {
            return ConsolePage.Message(texts.UnavailableTitle, texts.UnavailableSentence, StatusCodes.Status503ServiceUnavailable);
        }

        User? user;
        try
        {
            user = await CurrentUserAsync(context);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !context.RequestAborted.IsCancellationRequested)
        {
            // Only the request's own abort is not an answer to give; a cancellation from a hung store is one.
            return ConsolePage.Message(texts.UnavailableTitle, texts.UnavailableSentence, StatusCodes.Status503ServiceUnavailable);
        }

        if (user is null)
        {
            if (navigation)
            {
                context.Response.Redirect(browser.LoginUrl(request, error: null));
                return Results.Empty;
            }

            return ConsolePage.Message(texts.SignInTitle, texts.SignInSentence,
                HttpMethods.IsGet(request.Method) ? StatusCodes.Status401Unauthorized : StatusCodes.Status403Forbidden);
        }

        if (!options.AllowedRoles.Contains(user.Role, StringComparer.Ordinal))
        {
            var switchAccount = browser.LoginUrl(request, "permission");
            return new ConsolePage(texts.NotAllowedTitle, ConsoleSection.None,
                $"<h1>{ConsolePage.E(texts.NotAllowedTitle)}</h1>{ConsolePage.Error(texts.NotAllowed(user.Email, user.Role))}"
                + $"<p><a class=\"button secondary\" href=\"{ConsolePage.E(switchAccount)}\">{ConsolePage.E(texts.SwitchAccount)}</a></p>",
                StatusCodes.Status403Forbidden);
        }

        context.Items[typeof(ConsoleOperator)] = new ConsoleOperator(user.Id, user.Email, user.Role);
        // Antiforgery tokens are bound to this user: a token taken from another person's page is worth nothing here.
        context.User = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, user.Id)], "tribuo-session"));
        if (HttpMethods.IsPost(request.Method))
        {
            // As the password form and logout do: a browser says where a post comes from, and only the console's
            // own pages may post here; the antiforgery token is the second lock, not the only one.
            var publicUrl = context.RequestServices.GetRequiredService<IConfiguration>()[Hosting.PublicUrl.Setting];
            if (Login.RequestOrigin.IsCrossSite(request, publicUrl))
            {
                return ConsolePage.Message(texts.FormRefusedTitle, texts.FormRefused, StatusCodes.Status403Forbidden);
            }

            if (await ReadFormAsync(context, texts) is { } refused)
            {
                return refused;
            }

            try
            {
                await antiforgery.ValidateRequestAsync(context);
            }
            catch (AntiforgeryValidationException)
            {
                return ConsolePage.Message(texts.FormRefusedTitle, texts.FormRefused, StatusCodes.Status400BadRequest);
            }
        }

        try
        {
            return await next(invocation);
        }
        catch (Exception ex) when (Storage.StoreErrors.IsUnreachable(ex, context.RequestAborted))
        {
            // A store the page needs is down or hung: say so and that nothing was changed, never a 500.
            return ConsolePage.Message(texts.StoreUnavailableTitle, texts.StoreUnavailableSentence, StatusCodes.Status503ServiceUnavailable);
        }
    }

    /// <summary>
    /// Reads the form within the console's limits into <c>Request.Form</c>, where the antiforgery check and the
    /// handlers find it, or the page refusing it for what is wrong (never the antiforgery sentence, which would send
    /// the operator after the wrong cause): over <see cref="MaxFormBytes"/> a <c>413</c> (a chunked body is counted
    /// as it arrives and cut there, as <see cref="Http.TokenBody"/> does), a body that is not a form a <c>415</c>, a
    /// form that cannot be read (too many fields, a name too long, malformed) a <c>400</c>. No body at all goes on to
    /// the antiforgery check, which refuses it for its missing token.
    /// </summary>
    private static async Task<IResult?> ReadFormAsync(HttpContext context, ConsoleTexts texts)
    {
        var request = context.Request;
        if (request.ContentLength > MaxFormBytes)
        {
            return TooLarge(texts);
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxFormBytes;
        }

        if (!request.HasFormContentType)
        {
            return Http.TokenBody.HasBody(request)
                ? ConsolePage.Message(texts.FormTypeTitle, texts.FormType, StatusCodes.Status415UnsupportedMediaType)
                : null;
        }

        try
        {
            await request.ReadFormAsync(FormLimits, context.RequestAborted);
            return null;
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge(texts);
        }
        catch (Exception ex) when (ex is BadHttpRequestException or InvalidDataException or IOException)
        {
            return ConsolePage.Message(texts.FormUnreadableTitle, texts.FormUnreadable, StatusCodes.Status400BadRequest);
        }
    }

    private static ConsolePage TooLarge(ConsoleTexts texts) =>
        ConsolePage.Message(texts.FormTooLargeTitle, texts.FormTooLarge(MaxFormBytes / 1024), StatusCodes.Status413PayloadTooLarge);

    /// <summary>The session's user as the store has them now (role included), or null without a valid session.</summary>
    private async Task<User?> CurrentUserAsync(HttpContext context)
    {
        if (Proxy.SessionCookiePairs.Read(context.Request.Headers.Cookie, out var token) != 1 || token.Length == 0
            || await tokens.ValidateCachedAsync(token) is not { } identity)
        {
            return null;
        }

        return await users.GetCurrentAsync(identity.UserId);
    }
}
