namespace Tribuo.Gateway.Http;

/// <summary>
/// An <c>Origin</c> the gateway is about to echo in <c>Access-Control-Allow-Origin</c>. It echoes only origins that
/// matched a validated list, and those are ASCII; but a key stored before non-ASCII origins were refused may hold
/// one, a client may send it (browsers never do), and Kestrel throws on writing it: a 500, after the upstream had
/// the request. Such an origin is treated as not allowed.
/// </summary>
internal static class EchoedOrigin
{
    /// <summary>Visible ASCII only: what Kestrel writes into a response header without throwing, and all an origin holds.</summary>
    public static bool CanEcho(string origin) => origin.Length > 0 && !origin.AsSpan().ContainsAnyExceptInRange('!', '~');
}
