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
        var site = request.Headers["Sec-Fetch-Site"].ToString();
        if (site.Length > 0 && !site.Equals("same-origin", StringComparison.OrdinalIgnoreCase))
        {
            return true;
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
