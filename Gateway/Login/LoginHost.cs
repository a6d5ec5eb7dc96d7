namespace Tribuo.Gateway.Login;

/// <summary>
/// The one host a provider login can finish on: <c>Gateway:PublicUrl</c>'s. The providers call back there, so the
/// correlation and nonce cookies the start of a login sets must be set there too; a login started on a site's host
/// (a relative link, the logout of a site) would come back without them and fail with <c>error=state</c>.
/// </summary>
internal static class LoginHost
{
    /// <summary>
    /// The same path and query on <c>PublicUrl</c> when this request reached another host; null on the hub itself, or
    /// when <c>PublicUrl</c> is unset (then whatever host the request reached is the hub). Only the host is compared:
    /// a balancer that ends TLS or listens on another port, and is not in <c>Gateway:TrustedProxies</c>, changes the
    /// scheme and port the gateway sees but passes the host on, and a comparison of all three sent such a gateway's
    /// <c>/login</c> to itself forever.
    /// </summary>
    public static string? Redirect(HttpRequest request, string? publicUrl)
    {
        if (publicUrl is null || !Uri.TryCreate(publicUrl, UriKind.Absolute, out var hub))
        {
            return null;
        }

        var onHub = request.Host.Host.Equals(hub.IdnHost, StringComparison.OrdinalIgnoreCase);
        return onHub ? null : publicUrl.TrimEnd('/') + request.Path.ToUriComponent() + request.QueryString.ToUriComponent();
    }
}
