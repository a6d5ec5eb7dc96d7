using System.Text;
using System.Text.RegularExpressions;
using Tribuo.Gateway.Keys;

namespace Tribuo.Gateway.Operations;

/// <summary>
/// The request path as logs and spans show it. Paths are logged and queries are not, because a query can hold
/// <c>?token=</c>; but a token can sit in the path too (DESIGN §8: no token ever appears in a log line or a span):
/// <list type="bullet">
/// <item>on the check-token endpoints the token is the path itself, and every spelling of it counts, also the ones
/// refused before routing (<c>//check-token/&lt;jwt&gt;</c>, <c>/check-token%2f&lt;jwt&gt;</c>, <c>/auth\check-token/…</c>):
/// whatever follows <c>check-token</c> becomes <c>/{token}</c>;</item>
/// <item>anywhere else, a run shaped like a JWT (<c>eyJ…</c> with dots) or like a key this gateway issues
/// (<c>tgw_…</c>) becomes <c>{token}</c>, and so does the value of a <c>token=</c> path parameter
/// (<c>/x;token=…</c>, refused with a 400 but still logged): a client that puts one in a path by mistake does not put
/// it in the log.</item>
/// </list>
/// </summary>
internal static partial class LoggedPath
{
    private const string CheckToken = "check-token";
    private const string Masked = "{token}";

    public static string Of(HttpRequest request) => Of(request.Path.Value is { Length: > 0 } value ? WithoutSpaces(value) : "/");

    /// <summary>
    /// The decoded path's spaces (a <c>%20</c> sent) percent-encoded again: the text access log separates its fields with
    /// spaces, and <c>/x%20404%200.1ms%20client=10.9.9.9%20route=admin</c> wrote fields of the client's choosing ahead of
    /// the real ones (an outside probe). Other Unicode spaces too; control characters are the log writers' to escape.
    /// </summary>
    private static string WithoutSpaces(string path)
    {
        if (!path.AsSpan().ContainsAnyExceptInRange('!', '~'))
        {
            return path;
        }

        var builder = new System.Text.StringBuilder(path.Length + 8);
        Span<byte> utf8 = stackalloc byte[4];
        foreach (var rune in path.EnumerateRunes())
        {
            if (Rune.IsWhiteSpace(rune) || Rune.GetUnicodeCategory(rune) is System.Globalization.UnicodeCategory.Format)
            {
                foreach (var b in utf8[..rune.EncodeToUtf8(utf8)])
                {
                    builder.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
                }
            }
            else
            {
                builder.Append(rune.ToString());
            }
        }

        return builder.ToString();
    }

    /// <summary>A path as logs and spans show it (the upstream call's span shows the forwarded path through this too).</summary>
    public static string Of(string path)
    {
        var checkToken = path.IndexOf(CheckToken, StringComparison.OrdinalIgnoreCase);
        if (checkToken >= 0)
        {
            var end = checkToken + CheckToken.Length;
            if (path.Length > end && path.AsSpan(end) is not "/")
            {
                path = string.Concat(path.AsSpan(0, end), "/", Masked);
            }
        }

        return path.Contains("eyJ", StringComparison.Ordinal) || path.Contains(KeySecrets.Prefix, StringComparison.OrdinalIgnoreCase)
            || path.Contains("token=", StringComparison.OrdinalIgnoreCase)
            ? Credential().Replace(path, match => match.Groups["name"].Success ? match.Groups["name"].Value + Masked : Masked)
            : path;
    }

    [GeneratedRegex(@"eyJ[A-Za-z0-9_\-]*(\.[A-Za-z0-9_\-]*)+|(?i:tgw_)[A-Za-z0-9_\-]+|(?<name>(?i:token)=)[^/;]*", RegexOptions.CultureInvariant)]
    private static partial Regex Credential();
}
