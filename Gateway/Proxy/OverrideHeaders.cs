namespace Tribuo.Gateway.Proxy;

/// <summary>
/// Headers that upstream frameworks honour as the client address, the scheme, the path or the method
/// (DESIGN §7). An upstream reading <c>X-Original-URL</c> would serve <c>/admin/x</c> for a request the
/// gateway authorized as <c>/public/x</c>, so none of them is forwarded, whoever sent it, in any case and
/// with <c>_</c> for <c>-</c> (CGI-style servers read both the same way).
/// </summary>
internal static class OverrideHeaders
{
    public static readonly string[] Names =
    [
        "X-Real-IP", "True-Client-IP", "X-Client-IP", "CF-Connecting-IP", "X-Original-Forwarded-For",
        "X-Forwarded-Port", "X-Forwarded-Server", "X-Forwarded-Scheme",
        "X-Original-URL", "X-Rewrite-URL",
        "X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override",
    ];

    public static bool IsOverride(string name)
    {
        foreach (var candidate in Names)
        {
            if (SameName(name, candidate))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Removes every override header; allocates only when one is present.</summary>
    public static void Strip(IHeaderDictionary headers)
    {
        List<string>? doomed = null;
        foreach (var header in headers)
        {
            if (header.Key.Length <= 24 && IsOverride(header.Key))
            {
                (doomed ??= []).Add(header.Key);
            }
        }

        if (doomed is null)
        {
            return;
        }

        foreach (var name in doomed)
        {
            headers.Remove(name);
        }
    }

    private static bool SameName(string sent, string known)
    {
        if (sent.Length != known.Length)
        {
            return false;
        }

        for (var i = 0; i < known.Length; i++)
        {
            var c = sent[i];
            var expected = known[i];
            if (expected == '-' ? c is not ('-' or '_') : char.ToLowerInvariant(c) != char.ToLowerInvariant(expected))
            {
                return false;
            }
        }

        return true;
    }
}
