namespace Tribuo.Gateway.Login;

/// <summary>Where a browser request comes from, as the browser itself says (<c>Sec-Fetch-Site</c>, <c>Origin</c>).</summary>
internal static class RequestOrigin
{
    /// <summary>True when the browser says the request comes from the gateway's own origin (or <c>PublicUrl</c>'s).</summary>
    public static bool IsSameOrigin(HttpRequest request, string? publicUrl)
    {
        if (request.Headers["Sec-Fetch-Site"].ToString().Equals("same-origin", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        var origin = request.Headers.Origin.ToString();
        return origin.Length > 0 && IsOwn(request, origin, publicUrl);
    }

    /// <summary>True when the browser says the request comes from another origin; clients that say nothing are not browsers.</summary>
    public static bool IsCrossSite(HttpRequest request, string? publicUrl)
    {
        // Fetch metadata, when the browser sends it (https and localhost), is the browser's own word and no page
        // can set it: it decides alone. Otherwise the Origin does ("null" included: a sandboxed or no-referrer page).
        var site = request.Headers["Sec-Fetch-Site"].ToString();
        if (site.Length > 0)
        {
            return !site.Equals("same-origin", StringComparison.OrdinalIgnoreCase);
        }

        var origin = request.Headers.Origin.ToString();
        return origin.Length > 0 && !IsOwn(request, origin, publicUrl);
    }

    private static bool IsOwn(HttpRequest request, string origin, string? publicUrl) =>
        origin != "null"
        && (origin.Equals($"{request.Scheme}://{request.Host}", StringComparison.OrdinalIgnoreCase)
            || (publicUrl is not null && Uri.TryCreate(publicUrl, UriKind.Absolute, out var hub)
                && origin.Equals(hub.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase)));
}
