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
        value = "";
        var equals = pair.IndexOf('=');
        sentName = (equals < 0 ? pair : pair[..equals]).Trim(' ', '\t');
        if (!sentName.Equals(name, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        value = equals < 0 ? "" : pair[(equals + 1)..].Trim(' ', '\t').Trim('"');
        return true;
    }
}
