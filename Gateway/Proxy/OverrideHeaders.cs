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
        // What ASP.NET Core's forwarded headers keep of the balancer's hop (X-Original-Host below): the
        // balancer's own address and scheme, or a client's forgery of them.
        "X-Original-For", "X-Original-Proto", "X-Original-Prefix",
        // The scheme, host and port
        "X-Forwarded-Port", "X-Forwarded-Server", "X-Forwarded-Scheme", "X-Forwarded-Protocol", "X-Forwarded-Ssl",
        "Front-End-Https", "X-Url-Scheme", "X-Original-Host", "X-Host",
        // The path
        "X-Original-URL", "X-Rewrite-URL", "X-Forwarded-Uri",
        // The method
        "X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override", "X-Forwarded-Method",
    ];

    private static readonly int LongestName = Names.Max(n => n.Length);

    public static bool IsOverride(string name) => name.Length <= LongestName && HeaderName.IsOneOf(name, Names);
}
