namespace Tribuo.Gateway.Proxy;

/// <summary>
/// Headers that upstream frameworks honour as the client address, the scheme, the path or the method
/// (DESIGN §7). An upstream reading <c>X-Original-URL</c> would serve <c>/admin/x</c> for a request the
/// gateway authorized as <c>/public/x</c>, so none of them is forwarded, whoever sent it, in any case and
/// with <c>_</c> for <c>-</c> (<see cref="HeaderName"/>).
/// </summary>
internal static class OverrideHeaders
{
    public static readonly string[] Names =
    [
        // The client address
        "X-Real-IP", "True-Client-IP", "X-Client-IP", "CF-Connecting-IP", "X-Original-Forwarded-For",
        "Client-IP", "X-Cluster-Client-IP", "Fastly-Client-IP",
        // ... as django-ipware, the npm request-ip package, App Engine and Envoy read it
        "X-Forwarded", "Forwarded-For", "X-Appengine-User-IP", "X-Envoy-External-Address",
        // What ASP.NET Core's forwarded headers keep of the balancer's hop (X-Original-Host below): the
        // balancer's own address and scheme, or a client's forgery of them.
        "X-Original-For", "X-Original-Proto", "X-Original-Prefix",
        // The scheme, host and port
        "X-Forwarded-Port", "X-Forwarded-Server", "X-Forwarded-Scheme", "X-Forwarded-Protocol", "X-Forwarded-Ssl",
        "Front-End-Https", "X-Url-Scheme", "X-Original-Host", "X-Host",
        // ... as Tornado (X-Scheme, ahead of X-Forwarded-Proto), IIS ARR (X-Arr-Ssl) and Cloudflare (Cf-Visitor) read it
        "X-Scheme", "X-Arr-Ssl", "Cf-Visitor",
        // The path
        "X-Original-URL", "X-Rewrite-URL", "X-Forwarded-Uri",
        // ... and the mount point: gunicorn before 22 took a SCRIPT_NAME header and cut it off the path, so an upstream
        // routed /admin/x for a request the gateway authorized as /pub/admin/x
        "Script-Name", "X-Original-URI", "X-Forwarded-Path", "X-Envoy-Original-Path",
        // The method
        "X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override", "X-Forwarded-Method", "X-Original-Method",
    ];

    private static readonly int LongestName = Names.Max(n => n.Length);

    public static bool IsOverride(string name) => name.Length <= LongestName && HeaderName.IsOneOf(name, Names);
}
