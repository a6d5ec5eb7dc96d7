namespace Tribuo.Gateway.Http;

/// <summary>
/// Paths the gateway answers itself on every host (DESIGN §3). They win over catch-all proxy routes, and a
/// route whose own literal prefix is one of them is a configuration error.
/// </summary>
internal static class ReservedPaths
{
    /// <summary>First path segments owned by the gateway, compared case-insensitively like ASP.NET routing.</summary>
    public static readonly IReadOnlyList<string> FirstSegments =
        ["login", "auth", "check-token", ".well-known", "gateway", "healthz", "readyz", "metrics"];

    /// <summary>
    /// The reserved segment a route pattern starts with, or null. Only a literal first segment counts:
    /// <c>/{**rest}</c> is a normal catch-all, <c>/auth/{**x}</c> claims the gateway's own paths.
    /// </summary>
    public static string? ClaimedBy(string? routePath)
    {
        if (string.IsNullOrEmpty(routePath))
        {
            return null;
        }

        var trimmed = routePath.TrimStart('/', '~');
        var end = trimmed.IndexOfAny(['/', '{', '?']);
        var first = end < 0 ? trimmed : trimmed[..end];
        foreach (var reserved in FirstSegments)
        {
            if (string.Equals(first, reserved, StringComparison.OrdinalIgnoreCase))
            {
                return "/" + reserved;
            }
        }

        return null;
    }
}
