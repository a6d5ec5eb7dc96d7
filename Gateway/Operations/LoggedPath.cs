namespace Tribuo.Gateway.Operations;

/// <summary>
/// The request path as logs and spans show it. Paths are logged and queries are not, because a query can hold
/// <c>?token=</c>; but on the check-token endpoints the token is the path itself (<c>/check-token/&lt;jwt&gt;</c>), so
/// there the token segment is replaced by <c>{token}</c> (DESIGN §8: no token ever appears in a log line or a span).
/// </summary>
internal static class LoggedPath
{
    private static readonly string[] TokenInPath = ["/check-token", "/auth/check-token"];

    public static string Of(HttpRequest request)
    {
        var path = request.Path;
        foreach (var prefix in TokenInPath)
        {
            if (path.StartsWithSegments(prefix, StringComparison.OrdinalIgnoreCase, out var rest) && rest.HasValue && rest.Value != "/")
            {
                return prefix + "/{token}";
            }
        }

        return path.Value is { Length: > 0 } value ? value : "/";
    }
}
