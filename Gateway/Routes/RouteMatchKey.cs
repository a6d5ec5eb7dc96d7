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
        key.Append("|hosts=").AppendJoin(',', (match.Hosts ?? []).Select(h => h.ToLowerInvariant()).Order(StringComparer.Ordinal));
        key.Append("|path=").Append(match.Path is null ? "" : Parameter().Replace(match.Path.TrimEnd('/').ToLowerInvariant(), NormalizeParameter));
        key.Append("|methods=").AppendJoin(',', (match.Methods ?? []).Select(m => m.ToUpperInvariant()).Order(StringComparer.Ordinal));
        key.Append("|headers=").AppendJoin(',', (match.Headers ?? [])
            .Select(h => $"{h.Name.ToLowerInvariant()}:{h.Mode}:{h.IsCaseSensitive}:{string.Join('\u001f', (h.Values ?? []).Order(StringComparer.Ordinal))}")
            .Order(StringComparer.Ordinal));
        key.Append("|query=").AppendJoin(',', (match.QueryParameters ?? [])
            .Select(q => $"{q.Name.ToLowerInvariant()}:{q.Mode}:{q.IsCaseSensitive}:{string.Join('\u001f', (q.Values ?? []).Order(StringComparer.Ordinal))}")
            .Order(StringComparer.Ordinal));
        return key.ToString();
    }

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

            var key = For(route);
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
        return "{" + catchAll + (rest < 0 ? "" : name[rest..]) + "}";
    }

    [GeneratedRegex(@"\{([^{}]*)\}")]
    private static partial Regex Parameter();
}
