using System.Buffers;

namespace Tribuo.Gateway.Proxy;

/// <summary>
/// Header names as upstream servers read them: in any case, and with <c>_</c> for <c>-</c> (CGI, WSGI and Rack
/// servers turn both into the same <c>HTTP_X_...</c> variable, and merge the two). A header the gateway removes
/// is removed in every spelling that reaches an upstream as the same name.
/// </summary>
internal static class HeaderName
{
    /// <summary>RFC 9110 §5.6.2 <c>tchar</c>: a header name is one or more of them.</summary>
    private static readonly SearchValues<char> TokenChars =
        SearchValues.Create("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

    /// <summary>Whether <paramref name="name"/> can be a header name at all: an RFC 9110 token.</summary>
    public static bool IsToken(string name) => name.Length > 0 && !name.AsSpan().ContainsAnyExcept(TokenChars);

    /// <summary>Whether <paramref name="sent"/> is <paramref name="known"/> as an upstream reads it.</summary>
    public static bool Is(string sent, string known) => sent.Length == known.Length && StartsWith(sent, known);

    /// <summary>Whether <paramref name="sent"/> is one of <paramref name="known"/> as an upstream reads it.</summary>
    public static bool IsOneOf(string sent, string[] known)
    {
        foreach (var name in known)
        {
            if (Is(sent, name))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Removes every header whose name <paramref name="doomed"/> picks, in one pass over the request's headers;
    /// allocates only when one is picked. The state is passed, not captured, so a static lambda allocates nothing.
    /// </summary>
    public static void RemoveWhere<TState>(IHeaderDictionary headers, TState state, Func<string, TState, bool> doomed)
    {
        List<string>? names = null;
        foreach (var header in headers)
        {
            if (doomed(header.Key, state))
            {
                (names ??= []).Add(header.Key);
            }
        }

        if (names is null)
        {
            return;
        }

        foreach (var name in names)
        {
            headers.Remove(name);
        }
    }

    /// <summary>Whether <paramref name="sent"/> begins with <paramref name="prefix"/> as an upstream reads it.</summary>
    public static bool StartsWith(string sent, string prefix)
    {
        if (sent.Length < prefix.Length)
        {
            return false;
        }

        for (var i = 0; i < prefix.Length; i++)
        {
            var c = sent[i];
            var expected = prefix[i];
            if (expected == '-' ? c is not ('-' or '_') : char.ToLowerInvariant(c) != char.ToLowerInvariant(expected))
            {
                return false;
            }
        }

        return true;
    }
}
