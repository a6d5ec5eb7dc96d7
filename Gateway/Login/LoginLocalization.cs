using System.Globalization;
using Microsoft.AspNetCore.Localization;

namespace Tribuo.Gateway.Login;

/// <summary>
/// The login hub's pages in English or French, chosen from <c>Accept-Language</c> by ASP.NET Core request
/// localization (French for any <c>fr</c> tag, English otherwise). The gateway runs with InvariantGlobalization,
/// so these cultures carry a name and invariant data (Gateway.csproj allows them with PredefinedCulturesOnly=false):
/// the pages only need the name, and numbers and dates keep formatting the same everywhere.
/// </summary>
internal static class LoginLocalization
{
    public static IServiceCollection AddLoginLocalization(this IServiceCollection services) =>
        services.Configure<RequestLocalizationOptions>(options =>
        {
            var cultures = LoginTexts.Languages.Select(language => new CultureInfo(language)).ToList();
            options.DefaultRequestCulture = new RequestCulture(cultures[0]);
            options.SupportedCultures = cultures;
            options.SupportedUICultures = cultures;
            // Only the browser's languages: no query string or cookie can switch a page another site links to.
            options.RequestCultureProviders = [new PrimaryLanguageProvider { Options = options }];
        });

    /// <summary>Only the hub's and the console's pages pay for it: the proxied routes never read a culture.</summary>
    public static void UseLoginLocalization(this WebApplication app) =>
        app.UseWhen(context => context.Request.Path.StartsWithSegments("/login") || context.Request.Path.StartsWithSegments("/auth")
                || context.Request.Path.StartsWithSegments(OperatorsConsole.ConsoleExtensions.Prefix),
            branch => branch.UseRequestLocalization());

    /// <summary>
    /// <c>Accept-Language</c> by preference, each tag reduced to its language: the framework's own provider
    /// falls back from <c>fr-FR</c> to <c>fr</c> through the culture's parent, which invariant culture data
    /// does not have (it would answer <c>fr-FR</c> alone in English).
    /// </summary>
    private sealed class PrimaryLanguageProvider : RequestCultureProvider
    {
        public override Task<ProviderCultureResult?> DetermineProviderCultureResult(HttpContext httpContext)
        {
            var language = httpContext.Request.GetTypedHeaders().AcceptLanguage
                .Where(tag => tag.Quality is not 0)
                .OrderByDescending(tag => tag.Quality ?? 1) // stable: equal preferences keep the header's order
                .Select(tag => tag.Value.Value?.Split('-')[0].ToLowerInvariant())
                .FirstOrDefault(tag => tag is not null && LoginTexts.Languages.Contains(tag));
            return Task.FromResult(language is null ? null : new ProviderCultureResult(language));
        }
    }
}
