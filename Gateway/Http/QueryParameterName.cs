namespace Tribuo.Gateway.Http;

/// <summary>
/// The name of one <c>name=value</c> query parameter as lenient frameworks read it: percent-decoded (<c>+</c> as a
/// space), without a <c>[...]</c> suffix (PHP and Rack read <c>token[]</c> as <c>token</c>) and without surrounding
/// spaces or NULs. What the gateway removes from a query (the token it hands back, parameters it appends itself) is
/// found by this name, so that no spelling an upstream reads the same way slips past.
/// </summary>
internal static class QueryParameterName
{
    public static string Of(string parameter)
    {
        var equals = parameter.IndexOf('=');
        var name = equals < 0 ? parameter : parameter[..equals];
        if (name.AsSpan().IndexOfAny('%', '+', '[') < 0)
        {
            return name.Trim(); // a raw tab, which Kestrel lets through in a query, as the decoded one is (outside probe)
        }

        var decoded = Uri.UnescapeDataString(name.Replace('+', ' '));
        var bracket = decoded.IndexOf('[');
        return (bracket < 0 ? decoded : decoded[..bracket]).Trim().Trim('\0').Trim();
    }

    /// <summary>
    /// Whether the <c>&amp;</c>-separated parameter, or any <c>;</c>-separated part of it, is called one of
    /// <paramref name="names"/>: Rack 2, Python's <c>parse_qs</c> before 3.9.2 and Go before 1.17 split on <c>;</c> too,
    /// so <c>?x=1;token=b</c> holds a <c>token</c> for them (the whole parameter goes).
    /// </summary>
    public static bool IsAnyOf(string parameter, IReadOnlyCollection<string> names)
    {
        foreach (var part in parameter.Split(';'))
        {
            if (names.Contains(Of(part), StringComparer.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether the parameter is called <paramref name="name"/>, compared the way frameworks compare names here: ignoring case.</summary>
    public static bool Is(string parameter, string name) => Of(parameter).Equals(name, StringComparison.OrdinalIgnoreCase);
}
