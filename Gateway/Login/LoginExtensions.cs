using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Tribuo.Gateway.Users;

namespace Tribuo.Gateway.Login;

internal static partial class LoginExtensions
{
    /// <summary>
    /// The login hub: providers as ASP.NET Core OAuth schemes, one per <c>Gateway:Login:Providers:&lt;name&gt;</c>,
    /// registered when options are first read (so configuration from any source counts), users and tokens.
    /// </summary>
    public static IServiceCollection AddGatewayLogin(this IServiceCollection services)
    {
        services.AddSingleton(sp => LoginOptions.Read(sp.GetRequiredService<IConfiguration>()));
        services.AddSingleton<AllowedOrigins>();
        services.AddSingleton<BrowserSession>();
        services.AddSingleton<SessionHandBack>();
        services.AddSingleton<PasswordAttempts>();
        services.AddSingleton<LegacyPasswordsSwitch>();
        services.AddSingleton<RoleScopes>();
        services.AddSingleton<UserApiTokens>();
        services.AddSingleton<Keys.IKeySecretFollower>(sp => sp.GetRequiredService<UserApiTokens>());
        services.AddSingleton<UserAccounts>();
        services.AddSingleton<UserDirectory>();
        services.AddLoginLocalization();
        services.AddSingleton<LoginCompletion>();
        services.AddHttpClient();

        services.AddAuthentication(NoSessionHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, NoSessionHandler>(NoSessionHandler.SchemeName, null);
        // One maintained OpenID Connect scheme per provider, added when options are first read so that
        // configuration from any source (tests add theirs late) counts.
        services.AddSingleton<IConfigureOptions<AuthenticationOptions>>(sp => new ConfigureOptions<AuthenticationOptions>(auth =>
        {
            foreach (var (name, provider) in sp.GetRequiredService<LoginOptions>().Providers)
            {
                auth.AddScheme<OpenIdConnectHandler>(name.ToLowerInvariant(), provider.DisplayName ?? name);
            }
        }));
        services.AddSingleton<IConfigureOptions<OpenIdConnectOptions>, ProviderOptionsSetup>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<OpenIdConnectOptions>, OpenIdConnectPostConfigureOptions>());
        return services;
    }

    /// <summary>
    /// Runs the providers' callback handling only under <c>/auth/</c>: the authentication middleware would
    /// otherwise instantiate every provider's handler on every proxied request.
    /// </summary>
    public static void UseLoginCallbacks(this WebApplication app)
    {
        // Only the exact callback paths (the handler itself would also answer /auth/new-token/ZOHO, matching
        // case-insensitively): any other path under /auth/new-token/ is left to routing, a 404 (DESIGN §5).
        var callbacks = app.Services.GetRequiredService<LoginOptions>().Providers.Keys
            .Select(CallbackPath).ToHashSet(StringComparer.Ordinal);
        app.UseWhen(context => context.Request.Path.Value is { } path && callbacks.Contains(path), branch => branch.UseAuthentication());
        // WebApplication adds UseAuthentication() to the whole pipeline unless told it is already set up.
        ((IApplicationBuilder)app).Properties["__AuthenticationMiddlewareSet"] = true;
    }

    /// <summary>The provider's callback, as registered with it: <c>/auth/new-token/&lt;name in lower case&gt;</c>.</summary>
    public static string CallbackPath(string provider) => $"/auth/new-token/{provider.ToLowerInvariant()}";

    /// <summary>Checks the login configuration before the server starts; false, with every error on stderr, when invalid.</summary>
    /// <summary>Provider names the hub's own paths and identities already use.</summary>
    private static readonly string[] ReservedProviderNames = ["failed", "password"];

    public static bool TryValidateLogin(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<LoginOptions>();
        var errors = app.Services.GetRequiredService<AllowedOrigins>().Invalid
            .Select(o => $"Gateway:Login:AllowedOrigins: '{o}' is not an origin; write scheme://host[:port].").ToList();
        if (app.Services.GetRequiredService<Storage.SecretsKey>().File is null)
        {
            errors.Add(Storage.SecretsKey.MissingMessage);
        }

        foreach (var (name, provider) in options.Providers)
        {
            var subject = $"Gateway:Login:Providers:{name}";
            if (!System.Text.RegularExpressions.Regex.IsMatch(name, "^[A-Za-z0-9-]+$"))
            {
                errors.Add($"{subject}: the name may only hold letters, digits and '-' (it is part of /auth/login-<name>).");
            }
            else if (ReservedProviderNames.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                // /auth/login-failed is the hub's error page, and "password" is the legacy accounts' own identity
                // provider: a provider of that name could assert any user's id as its subject and be that user.
                errors.Add($"{subject}: '{name}' is reserved by the login hub ({string.Join(", ", ReservedProviderNames)}); choose another name.");
            }

            if (!provider.Type.Equals("oidc", StringComparison.OrdinalIgnoreCase) && !provider.IsZoho)
            {
                errors.Add($"{subject}:Type: '{provider.Type}' is not a provider type; use oidc or zoho.");
            }

            if (string.IsNullOrWhiteSpace(provider.ClientId) || string.IsNullOrWhiteSpace(provider.ClientSecret))
            {
                errors.Add($"{subject}: ClientId and ClientSecret are required.");
            }

            var url = provider.IsZoho ? provider.AccountsUrl : provider.Authority;
            if (!Uri.TryCreate(url, UriKind.Absolute, out var parsed) || parsed.Scheme is not ("https" or "http"))
            {
                errors.Add($"{subject}:{(provider.IsZoho ? "AccountsUrl" : "Authority")}: '{url}' is not an http(s) URL.");
            }
        }

        if (errors.Count > 0)
        {
            Console.Error.WriteLine("Tribuo Gateway cannot start: the login configuration is invalid." + Environment.NewLine + string.Join(Environment.NewLine, errors.Select(e => "  - " + e)));
        }

        return errors.Count == 0;
    }



    internal static async Task OnTicketReceivedAsync(TicketReceivedContext context)
    {
        context.HandleResponse();
        var services = context.HttpContext.RequestServices;
        var scheme = context.Scheme.Name;
        var options = services.GetRequiredService<LoginOptions>();
        var origins = services.GetRequiredService<AllowedOrigins>();
        var origin = (context.Properties?.Items.TryGetValue(LoginEndpoints.OriginKey, out var stored) == true ? stored : null);
        if (origins.Check(origin, out _) is not { } returnUrl)
        {
            context.Response.Redirect(LoginEndpoints.FailureRedirect(null, "state"));
            return;
        }

        var provider = options.Find(scheme)!;
        if (LoginCompletion.ReadLogin(scheme, context.Principal!, provider) is not { } login)
        {
            Log.IncompleteProfile(Logger(context.HttpContext), scheme);
            context.Response.Redirect(LoginEndpoints.FailureRedirect(returnUrl.Url, "provider"));
            return;
        }

        var completion = services.GetRequiredService<LoginCompletion>();
        await completion.CompleteAsync(context.HttpContext, login, provider.LinksByEmail, returnUrl, origins);
    }

    internal static Task OnRemoteFailureAsync(RemoteFailureContext context)
    {
        context.HandleResponse();
        var message = context.Failure?.Message ?? "";
        var error = message.Contains("denied", StringComparison.OrdinalIgnoreCase) ? "denied"
            : message.Contains("state", StringComparison.OrdinalIgnoreCase) || message.Contains("Correlation", StringComparison.OrdinalIgnoreCase) ? "state"
            : "provider";
        Log.LoginFailed(Logger(context.HttpContext), context.Scheme.Name, error, message);
        context.HttpContext.RequestServices.GetRequiredService<Operations.GatewayMetrics>().Login(context.Scheme.Name, error);
        context.HttpContext.RequestServices.GetRequiredService<Operations.AuditTrail>().Record("login.failure", context.Scheme.Name, error);
        var origin = (context.Properties?.Items.TryGetValue(LoginEndpoints.OriginKey, out var stored) == true ? stored : null);
        context.Response.Redirect(LoginEndpoints.FailureRedirect(origin, error));
        return Task.CompletedTask;
    }

    private static ILogger Logger(HttpContext context) => context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Tribuo.Gateway.Login");

    private static partial class Log
    {
        [LoggerMessage(EventId = 630, Level = LogLevel.Warning, Message = "audit: login through {Provider} failed ({Error}): {Reason}")]
        public static partial void LoginFailed(ILogger logger, string provider, string error, string reason);

        [LoggerMessage(EventId = 631, Level = LogLevel.Warning, Message = "Login through {Provider} returned no subject or e-mail")]
        public static partial void IncompleteProfile(ILogger logger, string provider);
    }
}
