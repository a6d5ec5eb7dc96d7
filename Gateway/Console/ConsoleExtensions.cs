using Tribuo.Gateway.Routes;

namespace Tribuo.Gateway.OperatorsConsole;

/// <summary>The operators' console (DESIGN §9): <c>/gateway/console</c>, signed in through the hub's own login.</summary>
internal static class ConsoleExtensions
{
    public const string Prefix = "/gateway/console";

    public static IServiceCollection AddGatewayConsole(this IServiceCollection services)
    {
        services.AddSingleton(sp => ConsoleOptions.Read(sp.GetRequiredService<IConfiguration>()));
        services.AddSingleton<ConsoleAccess>();
        services.AddSingleton<AccessExplainer>();
        services.AddSingleton<RoutesFileEditor>();
        services.AddSingleton<Operations.AuditLog>();
        services.AddAntiforgery(options =>
        {
            options.Cookie.Name = "tribuo_console_csrf";
            options.Cookie.Path = Prefix;
            // Secure on https (also behind a trusted TLS balancer), as the session cookie; the framework's default never is.
            options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            options.FormFieldName = "csrf";
            // The console's pages say DENY themselves; the framework's default would be SAMEORIGIN.
            options.SuppressXFrameOptionsHeader = true;
        });
        return services;
    }

    /// <summary>The console's pages, all behind <see cref="ConsoleAccess"/> (a session with a console role, antiforgery on posts).</summary>
    public static void MapConsole(this RouteGroupBuilder gateway)
    {
        var console = gateway.MapGroup(Prefix);
        console.AddEndpointFilter<ConsoleAccess>();
        console.MapGet("", () => Results.Redirect(Prefix + "/keys"));
        KeysPages.Map(console);
        UsersPages.Map(console);
        RoutesPages.Map(console);
        AuditPage.Map(console);
    }

    /// <summary>A form field, trimmed; "" when absent.</summary>
    public static string Text(this IFormCollection form, string name) => form[name].ToString().Trim();

    /// <summary>A list typed as words separated by spaces or commas.</summary>
    public static string[] Words(this IFormCollection form, string name) =>
        form.Text(name).Split([' ', ',', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries);
}
