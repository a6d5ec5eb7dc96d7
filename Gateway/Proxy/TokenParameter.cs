using Tribuo.Gateway.Login;

namespace Tribuo.Gateway.Proxy;

/// <summary>
/// Removes every <c>token</c> query parameter (a gateway token handed back by the login hub) before the
/// request is forwarded, on every route. Done on the raw query so that every other parameter reaches the
/// upstream exactly as sent; names are compared decoded and case-insensitively, the way upstream frameworks
/// read them (<c>?Token=</c>, <c>?to%6Ben=</c>).
/// </summary>
internal static class TokenParameter
{
    public static void Remove(HttpRequest request)
    {
        var query = request.QueryString.Value;
        if (string.IsNullOrEmpty(query) || query.Length < 2)
        {
            return;
        }

        var parameters = query[1..].Split('&');
        var kept = parameters.Where(p => !IsToken(p)).ToArray();
        if (kept.Length == parameters.Length)
        {
            return;
        }

        request.QueryString = kept.Length == 0 ? QueryString.Empty : new QueryString("?" + string.Join('&', kept));
    }

    private static bool IsToken(string parameter)
    {
        var equals = parameter.IndexOf('=');
        var name = equals < 0 ? parameter : parameter[..equals];
        if (!name.Contains('%') && !name.Contains('+'))
        {
            return name.Equals(BrowserSession.TokenParameter, StringComparison.OrdinalIgnoreCase);
        }

        return Uri.UnescapeDataString(name.Replace('+', ' ')).Trim().Equals(BrowserSession.TokenParameter, StringComparison.OrdinalIgnoreCase);
    }
}
