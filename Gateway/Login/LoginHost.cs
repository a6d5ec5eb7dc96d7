namespace Tribuo.Gateway.Login;

/// <summary>
/// The one host a provider login can finish on: <c>Gateway:PublicUrl</c>'s. The providers call back there, so the
/// correlation and nonce cookies the start of a login sets must be set there too; a login started on a site's host
/// (a relative link, the logout of a site) would come back without them and fail with <c>error=state</c>.
/// </summary>
internal static class LoginHost
{
    /// <summary>
    /// The same path and query on <c>PublicUrl</c> when this request reached another scheme, host or port; null on
    /// the hub itself, or when <c>PublicUrl</c> is unset (then whatever host the request reached is the hub).
    /// </summary>
    public static string? Redirect(HttpRequest request, string? publicUrl)
    {
        if (publicUrl is null || !Uri.TryCreate(publicUrl, UriKind.Absolute, out var hub))
        {
            return null;
        }

        // A Host without a port means the scheme's default, as Uri.Port does for PublicUrl.
        var port = request.Host.Port ?? (request.IsHttps ? 443 : 80);
        var onHub = request.Scheme.Equals(hub.Scheme, StringComparison.OrdinalIgnoreCase)
            && request.Host.Host.Equals(hub.Host, StringComparison.OrdinalIgnoreCase)
            && port == hub.Port;
        return onHub ? null : publicUrl.TrimEnd('/') + request.Path.ToUriComponent() + request.QueryString.ToUriComponent();
    }
}
