using Tribuo.Gateway.Login;

namespace Tribuo.Gateway.Proxy;

/// <summary>
/// Removes every <c>token</c> query parameter (a gateway token handed back by the login hub) before the
/// request is forwarded, on every route. Done on the raw query so that every other parameter reaches the
/// upstream exactly as sent; names are compared decoded and case-insensitively, the way upstream frameworks
/// read them (<c>?Token=</c>, <c>?to%6Ben=</c>), and in the forms lenient ones also read as <c>token</c>:
/// <c>token[]</c> (PHP, Rack), a trailing NUL or space (<c>token%00</c>), and after a <c>;</c> inside a parameter
/// (Rack 2 splits on it: <c>?a=1;token=x</c> drops that whole parameter).
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
        var kept = parameters.Where(p => !Http.QueryParameterName.IsAnyOf(p, TokenName)).ToArray();
        if (kept.Length == parameters.Length)
        {
            return;
        }

        request.QueryString = kept.Length == 0 ? QueryString.Empty : new QueryString("?" + string.Join('&', kept));
    }

    /// <summary>
    /// The token, and <c>_method</c>: Symfony, Laravel and Express's method-override read <c>?_method=DELETE</c> on a POST
    /// as a DELETE, the query form of the override headers the gateway removes (<see cref="OverrideHeaders"/>), so a
    /// POST-only public route would run DELETE upstream (an outside probe). A form body's <c>_method</c> is the
    /// upstream's own: the gateway does not read bodies.
    /// </summary>
    private static readonly string[] TokenName = [BrowserSession.TokenParameter, MethodOverride];

    public const string MethodOverride = "_method";
}
