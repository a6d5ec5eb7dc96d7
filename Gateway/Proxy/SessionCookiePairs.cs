using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using Tribuo.Gateway.Login;

namespace Tribuo.Gateway.Proxy;

/// <summary>
/// The <c>tribuo_cloud_token</c> pairs of a raw <c>Cookie</c> header. Read and removed on the raw text, never
/// through a decoded cookie collection: rebuilding the header from decoded values would turn
/// <c>a=x%3B%20admin%3Dtrue</c> into a second cookie <c>admin=true</c> and alter duplicates, JSON, empty
/// and quoted values the upstream is entitled to see as the browser sent them.
/// A session pair is found the way lenient upstream parsers would find one: its name in any case, and also
/// after a <c>,</c> inside a pair (legacy servlet and Python parsers split on it), so that no spelling of the
/// gateway's credential reaches an upstream, and two spellings in one request count as two cookies.
/// </summary>
internal static class SessionCookiePairs
{
    /// <summary>How many session pairs the header holds; <paramref name="token"/> is the value of the last one.</summary>
    public static int Read(StringValues cookieHeaders, out string token)
    {
        token = "";
        var count = 0;
        foreach (var header in cookieHeaders)
        {
            if (header is null || !MayHold(header))
            {
                continue;
            }

            foreach (var pair in header.Split(';'))
            {
                foreach (var part in pair.Split(','))
                {
                    if (IsSessionPair(part, out var value))
                    {
                        count++;
                        token = value;
                    }
                }
            }
        }

        return count;
    }

    /// <summary>Drops the session pairs and keeps every other byte of the header; no pair left, no header.</summary>
    public static void Remove(IHeaderDictionary headers)
    {
        var kept = new List<string>();
        foreach (var header in headers.Cookie)
        {
            if (header is null)
            {
                continue;
            }

            if (!MayHold(header))
            {
                kept.Add(header);
                continue;
            }

            var pairs = header.Split(';').Where(p => !p.Split(',').Any(part => IsSessionPair(part, out _))).ToArray();
            var rebuilt = string.Join(';', pairs).TrimStart(' ');
            if (rebuilt.Trim().Length > 0)
            {
                kept.Add(rebuilt);
            }
        }

        if (kept.Count == 0)
        {
            headers.Remove(HeaderNames.Cookie);
        }
        else
        {
            headers.Cookie = new StringValues([.. kept]);
        }
    }

    /// <summary>A quick look before the pairs are split: every spelling below holds "tribuo" or a '%'.</summary>
    private static bool MayHold(string header) =>
        header.Contains("tribuo", StringComparison.OrdinalIgnoreCase) || header.Contains('%');

    private static bool IsSessionPair(string pair, out string value)
    {
        var isSession = AsPhpReadsIt(Http.CookiePair.NameOf(pair)).Equals(SessionCookie.Name, StringComparison.OrdinalIgnoreCase);
        value = isSession ? Http.CookiePair.ValueOf(pair) : "";
        return isSession;
    }

    /// <summary>
    /// A cookie name as PHP's <c>$_COOKIE</c> reads it, the most lenient of the upstream parsers: percent-decoded
    /// (<c>+</c> as a space), leading spaces dropped, <c>.</c>, spaces and an unclosed <c>[</c> read as <c>_</c>, and a
    /// <c>[...]</c> suffix making an array of the name before it. <c>tribuo%5Fcloud%5Ftoken</c>, <c>tribuo.cloud.token</c> and
    /// <c>tribuo_cloud_token[x]</c> all reached an upstream, where PHP read each as the session cookie.
    /// </summary>
    private static string AsPhpReadsIt(string name)
    {
        var read = name.AsSpan().IndexOfAny('%', '+') < 0 ? name : Uri.UnescapeDataString(name.Replace('+', ' '));
        read = read.Trim(' ', '\t', '\0');
        var bracket = read.IndexOf('[');
        if (bracket > 0)
        {
            // "name[x]" is an array called "name"; a "[" without its "]" is read as "_" (tribuo[cloud_token).
            read = read.IndexOf(']', bracket) > 0 ? read[..bracket] : string.Concat(read.AsSpan(0, bracket), "_", read.AsSpan(bracket + 1));
        }

        return read.Replace('.', '_').Replace(' ', '_');
    }
}
