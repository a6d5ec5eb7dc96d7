using Microsoft.Extensions.Options;

namespace Tribuo.Gateway.Hosting;

/// <summary>
/// Framework log categories that print a credential below a certain level are held at that level whatever the
/// configuration says (DESIGN §8: no secret, key or token ever appears in a log line). An operator raising
/// <c>Microsoft.AspNetCore</c> to Debug to chase a problem would otherwise log every <c>/check-token/&lt;token&gt;</c>
/// path (routing), the raw <c>Authorization</c> header of a malformed request (Kestrel) and the provider callback's
/// <c>code</c> (the OpenID Connect handler). Applied after all configuration, for every provider a rule names, with
/// the full category: the most specific rule, so no configured rule can undercut it.
/// </summary>
internal sealed class SecretFreeLogging : IPostConfigureOptions<LoggerFilterOptions>
{
    private static readonly (string Category, LogLevel Lowest)[] Held =
    [
        // "Request starting": the full URL, ?token= included; and any level enabled makes Hosting create an Activity
        // per request (PERFORMANCE.md §2.2).
        ("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None),
        ("Microsoft.AspNetCore.Routing.Matching.DfaMatcher", LogLevel.Information),                     // Debug: the request path
        ("Microsoft.AspNetCore.Server.Kestrel.BadRequests", LogLevel.Information),                      // Debug: a malformed header, value included
        ("Microsoft.AspNetCore.Authentication.OpenIdConnect.OpenIdConnectHandler", LogLevel.Information), // Trace: the callback's code and state
    ];

    public void PostConfigure(string? name, LoggerFilterOptions options)
    {
        var providers = options.Rules.Select(r => r.ProviderName).Append(null).Distinct().ToArray();
        foreach (var (category, lowest) in Held)
        {
            foreach (var provider in providers)
            {
                var configured = Selected(options, provider, category);
                var level = (LogLevel)Math.Max((int)lowest, (int)configured);
                options.Rules.Add(new LoggerFilterRule(provider, category, level, filter: null));
            }
        }
    }

    /// <summary>The level the configured rules give <paramref name="category"/> for <paramref name="provider"/>, as the logging library picks it.</summary>
    private static LogLevel Selected(LoggerFilterOptions options, string? provider, string category)
    {
        LoggerFilterRule? best = null;
        foreach (var rule in options.Rules)
        {
            if (IsBetter(rule, best, provider, category))
            {
                best = rule;
            }
        }

        return best?.LogLevel ?? options.MinLevel;
    }

    /// <summary>Microsoft.Extensions.Logging's rule order: a rule for the provider beats one for all, then the longest category, then the last.</summary>
    private static bool IsBetter(LoggerFilterRule rule, LoggerFilterRule? current, string? provider, string category)
    {
        if ((rule.ProviderName is not null && rule.ProviderName != provider)
            || (rule.CategoryName is not null && !category.StartsWith(rule.CategoryName.TrimEnd('*'), StringComparison.OrdinalIgnoreCase)))
        {
            return false;
        }

        if (current?.ProviderName is not null)
        {
            if (rule.ProviderName is null)
            {
                return false;
            }
        }
        else if (rule.ProviderName is not null)
        {
            return true;
        }

        return current?.CategoryName is null || (rule.CategoryName is not null && rule.CategoryName.Length >= current.CategoryName.Length);
    }
}
