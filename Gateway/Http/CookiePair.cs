namespace Tribuo.Gateway.Http;

/// <summary>
/// One <c>name=value</c> pair of a raw <c>Cookie</c> header, read as the gateway reads its own cookies there (never
/// through the decoded, case-blind <c>Request.Cookies</c>): the name trimmed, the value trimmed and unquoted.
/// </summary>
internal static class CookiePair
{
    /// <summary>
    /// Whether <paramref name="pair"/> is named <paramref name="name"/> in any case; <paramref name="sentName"/> is the
    /// name as sent (for callers that need the exact case), <paramref name="value"/> its value ("" without one).
    /// </summary>
    public static bool TryRead(string pair, string name, out string sentName, out string value)
    {
        sentName = NameOf(pair);
        var named = sentName.Equals(name, StringComparison.OrdinalIgnoreCase);
        value = named ? ValueOf(pair) : "";
        return named;
    }

    /// <summary>The pair's name, trimmed.</summary>
    public static string NameOf(string pair)
    {
        var equals = pair.IndexOf('=');
        return (equals < 0 ? pair : pair[..equals]).Trim(' ', '\t');
    }

    /// <summary>The pair's value, trimmed and unquoted; "" without one.</summary>
    public static string ValueOf(string pair)
    {
        var equals = pair.IndexOf('=');
        return equals < 0 ? "" : pair[(equals + 1)..].Trim(' ', '\t').Trim('"');
    }
}
