using System.Text;
using System.Text.RegularExpressions;
using Yarp.ReverseProxy.Configuration;

namespace Tribuo.Gateway.Routes;

/// <summary>
/// What a route matches, in a canonical form: two routes with the same key match exactly the same requests
/// (same hosts, path, methods, header and query rules, and <c>Order</c>), which ASP.NET Core routing can only
/// answer with an ambiguous-match 500 on every request. Route parameter names do not change what matches
/// (<c>/a/{id}</c> and <c>/a/{x}</c> are the same), so they are left out.
/// </summary>
internal static partial class RouteMatchKey
{
    public static string For(RouteConfig route)
    {
        var match = route.Match;
        var key = new StringBuilder();
        key.Append("order=").Append(route.Order ?? 0);
        key.Append("|hosts=").AppendJoin(',', CanonicalHosts(match.Hosts));
        key.Append("|path=").Append(Parameter().Replace(CanonicalPath(match.Path), NormalizeParameter));
        key.Append("|methods=").AppendJoin(',', Canonical(RouteMethods.WithHead(match.Methods), caseSensitive: false));
        key.Append("|headers=").AppendJoin(',', (match.Headers ?? [])
            .Select(h => $"{h?.Name?.ToLowerInvariant()}:{h?.Mode}:{h?.IsCaseSensitive}:{string.Join('\u001f', Canonical(h?.Values, h?.IsCaseSensitive == true))}")
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));
        key.Append("|query=").AppendJoin(',', (match.QueryParameters ?? [])
            .Select(q => $"{q?.Name?.ToLowerInvariant()}:{q?.Mode}:{q?.IsCaseSensitive}:{string.Join('\u001f', Canonical(q?.Values, q?.IsCaseSensitive == true))}")
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));
        return key.ToString();
    }

    /// <summary>
    /// The path as routing reads it: no path is every path (a route by <c>Hosts</c> alone), a leading <c>~</c> is
    /// dropped and a missing leading <c>/</c> added (<c>"a1"</c>, <c>"~/a1"</c> and <c>"/a1"</c> are one route), case
    /// and a trailing <c>/</c> do not count.
    /// </summary>
    private static string CanonicalPath(string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return "/{**}";
        }

        var trimmed = path.StartsWith('~') ? path[1..] : path;
        if (!trimmed.StartsWith('/'))
        {
            trimmed = "/" + trimmed;
        }

        return trimmed.TrimEnd('/').ToLowerInvariant();
    }

    /// <summary>
    /// Hosts as routing reads them: <c>a.com</c> is <c>a.com:*</c> (any port), a port's leading zeros do not count
    /// (<c>:080</c> is <c>:80</c>), and a list holding <c>*</c> or <c>*:*</c> matches every host, as no <c>Hosts</c> does.
    /// </summary>
    private static IEnumerable<string> CanonicalHosts(IEnumerable<string?>? hosts)
    {
        var canonical = Canonical((hosts ?? []).Select(CanonicalHost), caseSensitive: false).ToList();
        return canonical.Contains("*:*") ? [] : canonical;
    }

    private static string CanonicalHost(string? host)
    {
        var text = (host ?? "").ToLowerInvariant();
        var colon = text.LastIndexOf(':');
        if (colon < 0 || text.EndsWith(']'))
        {
            return text + ":*"; // no port (an IPv6 literal's colons are inside its brackets)
        }

        var port = text[(colon + 1)..];
        return port != "*" && int.TryParse(port, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number)
            ? $"{text[..colon]}:{number}"
            : text;
    }

    /// <summary>A list of values as a set: order and repeats do not change what matches, nor case where matching ignores it.</summary>
    private static IEnumerable<string> Canonical(IEnumerable<string?>? values, bool caseSensitive) =>
        (values ?? []).Select(v => caseSensitive ? v ?? "" : (v ?? "").ToLowerInvariant()).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);

    /// <summary>Reports every pair of routes with the same key, naming both.</summary>
    public static void CheckDistinct(IReadOnlyList<RouteConfig> routes, ICollection<ConfigError> errors)
    {
        var first = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var route in routes)
        {
            if (route.Match is null)
            {
                continue;
            }

            string key;
            try
            {
                key = For(route);
            }
            catch (Exception ex) when (ex is NullReferenceException or ArgumentException or InvalidOperationException)
            {
                continue; // a match this malformed is reported by RoutesShape or YARP's validator; nothing to compare
            }

            if (first.TryGetValue(key, out var earlier))
            {
                errors.Add(new($"route '{route.RouteId}'", "Match",
                    $"matches exactly the same requests as route '{earlier}' (same hosts, path, methods, headers, query parameters and Order); change one of them or set a different Order."));
            }
            else
            {
                first[key] = route.RouteId;
            }
        }
    }

    private static string NormalizeParameter(Match parameter)
    {
        var body = parameter.Groups[1].Value;
        var catchAll = body.StartsWith('*') ? "**" : "";
        var name = body.TrimStart('*');
        var rest = name.IndexOfAny([':', '=', '?']);
        // ":required" adds nothing to a parameter that is not optional: /a/{x:required} is /a/{id}.
        var constraints = rest < 0 ? "" : name[rest..].Replace(":required", "", StringComparison.OrdinalIgnoreCase);
        return "{" + catchAll + constraints + "}";
    }

    [GeneratedRegex(@"\{([^{}]*)\}")]
    private static partial Regex Parameter();
}
