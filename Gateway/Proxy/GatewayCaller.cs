using System.Text;

namespace Tribuo.Gateway.Proxy;

/// <summary>
/// Who the access step let through, as the identity transforms need it: header values computed once, and
/// the browser origin to answer CORS for. One small object per authenticated request.
/// </summary>
internal sealed class GatewayCaller
{
    public string? KeyId { get; init; }
    public string? KeyScopes { get; init; }
    /// <summary>Set when a site key was used from an allowed browser origin: the response must allow it.</summary>
    public string? CorsOrigin { get; init; }

    /// <summary>The request was authenticated by the session cookie: a CORS answer must allow credentials.</summary>
    public bool CorsWithCredentials { get; init; }
    public CallerUser? User { get; init; }

    /// <summary>The key's own limits across all routes (DESIGN §4); empty for users and unlimited keys.</summary>
    public IReadOnlyList<RateLimits.RateLimit> KeyRateLimits { get; init; } = [];

    /// <summary>What identifies this caller for the assertion cache: the same caller gets the same assertion for a while.</summary>
    public string AssertionSubject => User is { } user ? "user:" + user.Id + "|" + KeyId : "key:" + KeyId;
}

/// <summary>A user's identity as upstreams receive it, values already made safe for a header.</summary>
internal sealed record CallerUser(string Id, string Email, string Name, string Role, string? Company, string? OrganizationSiret)
{
    /// <summary>
    /// Header values are ASCII: non-ASCII characters (names such as "Élodie") are sent as UTF-8 percent-encoding,
    /// and so are '%' and control characters, so that decoding is unambiguous.
    /// </summary>
    public static string HeaderValue(string value)
    {
        var safe = true;
        foreach (var c in value)
        {
            if (c > '\u007e' || c < ' ' || c == '%')
            {
                safe = false;
                break;
            }
        }

        // Spaces at either end too: every HTTP parser trims them, so "alice@acme.fr " would reach the upstream as another
        // user's "alice@acme.fr" (an outside probe; the login hub trims e-mails and names, this covers every other value).
        var edges = value.Length > 0 && (value[0] == ' ' || value[^1] == ' ');
        if (safe && !edges)
        {
            return value;
        }

        var bytes = Encoding.UTF8.GetBytes(value);
        var first = Array.FindIndex(bytes, b => b != (byte)' ');
        var last = Array.FindLastIndex(bytes, b => b != (byte)' ');
        var builder = new StringBuilder(value.Length * 2);
        for (var i = 0; i < bytes.Length; i++)
        {
            var b = bytes[i];
            if (b > 0x7e || b < 0x20 || b == (byte)'%' || (b == (byte)' ' && (i < first || i > last || first < 0)))
            {
                builder.Append('%').Append(b.ToString("X2"));
            }
            else
            {
                builder.Append((char)b);
            }
        }

        return builder.ToString();
    }
}
