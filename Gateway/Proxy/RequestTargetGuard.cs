using Microsoft.AspNetCore.Http.Features;
using Tribuo.Gateway.Http;

namespace Tribuo.Gateway.Proxy;

/// <summary>
/// Refuses request targets whose meaning depends on who reads them. Routing and scope checks see Kestrel's
/// decoded path; an upstream may decode <c>%2F</c>, fold <c>\</c> into <c>/</c>, drop <c>;params</c> or
/// collapse <c>//</c> differently and resolve another resource than the route that was authorized. Dot
/// segments are fine: Kestrel removes them before routing and YARP forwards that normalized path.
/// TRACE (and IIS's TRACK) is refused too: an upstream echoing the request would hand back what the gateway
/// added for it, and nothing legitimate needs it through a gateway (DESIGN §7). So is CONNECT: a tunnel is not a
/// route, and YARP's client cannot send one (it came back as a 502 logged as an upstream failure). HTTP/2's extended
/// CONNECT (WebSockets over HTTP/2, RFC 8441) is not a tunnel: YARP forwards it as an upgrade, so it passes.
/// </summary>
internal static class RequestTargetGuard
{
    public static IApplicationBuilder UseRequestTargetGuard(this IApplicationBuilder app)
    {
        var routes = app.ApplicationServices.GetRequiredService<Routes.RoutesFileConfigProvider>();
        return app.Use((context, next) =>
        {
            if (IsMisspeltStandardMethod(context.Request.Method) is { } standard)
            {
                return Problem.WriteAsync(context, StatusCodes.Status400BadRequest, "Method name not in its case", $"Method names are case-sensitive; send {standard}.");
            }

            if (IsRefusedMethod(context.Request.Method)
                && !(HttpMethods.IsConnect(context.Request.Method) && context.Features.Get<IHttpExtendedConnectFeature>()?.IsExtendedConnect == true))
            {
                return Problem.WriteAsync(context, StatusCodes.Status405MethodNotAllowed, "Method not allowed", $"{context.Request.Method.ToUpperInvariant()} is not served by this gateway.");
            }

            // "secure.test." is "secure.test" to DNS, nginx and Apache, but not to Hosts matching: it would fall to
            // a broader route than the one the upstream serves it as.
            if (context.Request.Host.Host.EndsWith('.'))
            {
                return Problem.WriteAsync(context, StatusCodes.Status400BadRequest, "Ambiguous host", "The host ends with a dot; send it without.");
            }

            // ".wild.test" matched a "*.wild.test" route (an outside probe): a name with an empty label is no host at all.
            if (context.Request.Host.Host is ['.', ..] || context.Request.Host.Host.Contains("..", StringComparison.Ordinal))
            {
                return Problem.WriteAsync(context, StatusCodes.Status400BadRequest, "Ambiguous host", "The host has an empty label (a leading dot or '..').");
            }

            if (routes.Snapshot?.MatchedHeaders is { Count: > 0 } matched)
            {
                RemoveUnderscoreSpellings(context.Request.Headers, matched);
            }

            var rawTarget = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.Value ?? "/";
            var reason = FindAmbiguity(rawTarget);
            return reason is null
                ? next(context)
                : Problem.WriteAsync(context, StatusCodes.Status400BadRequest, "Ambiguous request path", reason);
        });
    }

    /// <summary>
    /// TRACE, TRACK and CONNECT: never served, so never allowed by a CORS preflight either. HTTP/2's extended CONNECT
    /// is told apart by the request's feature, which a preflight's requested method does not have.
    /// </summary>
    public static bool IsRefusedMethod(string method) =>
        HttpMethods.IsTrace(method) || method.Equals("TRACK", StringComparison.OrdinalIgnoreCase) || HttpMethods.IsConnect(method);

    private static readonly string[] StandardMethods =
        [HttpMethods.Get, HttpMethods.Head, HttpMethods.Post, HttpMethods.Put, HttpMethods.Delete, HttpMethods.Options, HttpMethods.Patch];

    /// <summary>
    /// <c>head</c> for <c>HEAD</c>: a method of its own to HTTP and to Kestrel, which then expected the body a HEAD answer
    /// has not (a 500), while routing and YARP read it as HEAD, and <c>get</c> reached a GET route. nginx refuses them too.
    /// The standard spelling to send, or null.
    /// </summary>
    public static string? IsMisspeltStandardMethod(string method)
    {
        if (!method.AsSpan().ContainsAnyInRange('a', 'z'))
        {
            return null;
        }

        foreach (var standard in StandardMethods)
        {
            if (method.Equals(standard, StringComparison.OrdinalIgnoreCase))
            {
                return standard;
            }
        }

        return null;
    }

    /// <summary>
    /// Removes <c>X_Mode</c> when a route matches on <c>X-Mode</c>: routing would not see it, the upstream would read
    /// it as <c>X-Mode</c>, and a request refused by the narrower route would reach it through a broader one.
    /// </summary>
    private static void RemoveUnderscoreSpellings(IHeaderDictionary headers, System.Collections.Frozen.FrozenSet<string> matched) =>
        HeaderName.RemoveWhere(headers, matched, static (name, matched) => name.Contains('_') && matched.Contains(name.Replace('_', '-').ToLowerInvariant()));

    /// <summary>Why this target is refused, or null. Only the path is examined, not the query.</summary>
    public static string? FindAmbiguity(string rawTarget)
    {
        var path = rawTarget.AsSpan();
        var query = path.IndexOf('?');
        if (query >= 0)
        {
            path = path[..query];
        }

        if (path.Length > 0 && path[0] != '/')
        {
            // absolute-form ("http://host/path") or authority-form: look at the path part only.
            var scheme = path.IndexOf("://");
            if (scheme < 0)
            {
                return null;
            }

            var rest = path[(scheme + 3)..];
            var slash = rest.IndexOf('/');
            path = slash < 0 ? "/" : rest[slash..];
        }

        if (path.Contains('\\'))
        {
            return "The path contains a backslash; use '/'.";
        }

        if (path.Contains(';'))
        {
            return "The path contains ';' (path parameters); upstreams disagree on what it means.";
        }

        if (path.Contains("//", StringComparison.Ordinal))
        {
            return "The path contains an empty segment ('//').";
        }

        foreach (var c in path)
        {
            if (char.IsControl(c) || c == ' ')
            {
                return "The path contains a control or space character.";
            }
        }

        if (FindTrailingDotOrSpace(path) is { } trailing)
        {
            return trailing;
        }

        for (var i = path.IndexOf('%'); i >= 0; i = NextPercent(path, i))
        {
            var encoded = path.Slice(i, Math.Min(3, path.Length - i));
            if (encoded.Equals("%2f", StringComparison.OrdinalIgnoreCase) || encoded.Equals("%5c", StringComparison.OrdinalIgnoreCase))
            {
                return "The path contains an encoded '/' or '\\'; send the character itself.";
            }

            if (encoded.Equals("%2e", StringComparison.OrdinalIgnoreCase))
            {
                return "The path contains an encoded '.'; send the character itself.";
            }

            if (encoded.Equals("%00", StringComparison.Ordinal) || encoded.Equals("%3b", StringComparison.OrdinalIgnoreCase))
            {
                return "The path contains an encoded NUL or ';'.";
            }

            if (encoded.Equals("%25", StringComparison.Ordinal))
            {
                return "The path contains an encoded '%' (double encoding).";
            }

            if (encoded.Length < 3 || !char.IsAsciiHexDigit(encoded[1]) || !char.IsAsciiHexDigit(encoded[2]))
            {
                return "The path contains a '%' that is not followed by two hex digits (%u escapes included).";
            }
        }

        return path.Contains('%') ? FindBadEscapes(path) : null;
    }

    /// <summary>
    /// A segment ending in '.' or an encoded space (<c>/admin./x</c>, <c>/admin%20/x</c>): Windows servers (IIS,
    /// Kestrel on Windows' file system) drop them and serve <c>/admin/x</c>, which routing, seeing another
    /// segment, may have handed to a broader route. Dot segments ("." and "..") are Kestrel's to remove. Not on the
    /// gateway's own paths, which reach no upstream.
    /// </summary>
    private static string? FindTrailingDotOrSpace(ReadOnlySpan<char> path)
    {
        var climbs = false;
        var ending = false;
        foreach (var range in path.Split('/'))
        {
            var segment = path[range];
            if (segment is "." or "..")
            {
                climbs = true;
            }
            else if (!segment.IsEmpty && (segment[^1] == '.' || segment.EndsWith("%20", StringComparison.Ordinal)))
            {
                ending = true;
            }
        }

        // The gateway's own paths are never forwarded, and an unsigned JWT ends with '.' (/check-token/<header>.<payload>.
        // stays a 401, not a 400). Only a path that is the gateway's as sent: /auth/../admin./x is /admin./x once Kestrel
        // has removed the dot segments, and was forwarded to a public catch-all (an outside probe).
        return ending && (climbs || ReservedPaths.ClaimedBy(path.ToString()) is null)
            ? "A path segment ends with '.' or a space; some servers drop it and would serve another path."
            : null;
    }

    /// <summary>
    /// Escapes that decode to control characters or to bytes that are not UTF-8 (<c>%ff</c>, the overlong
    /// <c>%c0%ae</c> for '.'): routing saw them one way, a lenient decoder upstream may read another.
    /// </summary>
    private static string? FindBadEscapes(ReadOnlySpan<char> path)
    {
        var bytes = new byte[System.Text.Encoding.UTF8.GetMaxByteCount(path.Length)];
        var length = 0;
        for (var i = 0; i < path.Length; i++)
        {
            if (path[i] == '%' && i + 2 < path.Length)
            {
                var value = Convert.ToByte(path.Slice(i + 1, 2).ToString(), 16);
                if (value < 0x20 || value == 0x7f)
                {
                    return "The path contains an encoded control character.";
                }

                bytes[length++] = value;
                i += 2;
            }
            else
            {
                length += System.Text.Encoding.UTF8.GetBytes(path.Slice(i, 1), bytes.AsSpan(length));
            }
        }

        return System.Text.Unicode.Utf8.IsValid(bytes.AsSpan(0, length)) ? null : "The path contains escapes that are not UTF-8.";
    }

    private static int NextPercent(ReadOnlySpan<char> path, int current)
    {
        var next = path[(current + 1)..].IndexOf('%');
        return next < 0 ? -1 : current + 1 + next;
    }
}
