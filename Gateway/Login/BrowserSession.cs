using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Primitives;

namespace Tribuo.Gateway.Login;

/// <summary>
/// The login round trip for protected sites (DESIGN §6), which used to live in each site's front end: send a
/// browser without a session to the login page, take the <c>?token=</c> it comes back with, turn it into the
/// <c>tribuo_cloud_token</c> cookie, and return to the same URL without the token.
/// </summary>
internal sealed class BrowserSession(IConfiguration configuration)
{
    public const string TokenParameter = "token";

    /// <summary>
    /// A top-level page load by a person: only those get redirected to an HTML login page; scripts and API
    /// clients get 401/403 JSON they can act on.
    /// </summary>
    public static bool IsNavigation(HttpRequest request)
    {
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
        {
            return false;
        }

        var headers = request.Headers;
        if (headers.ContainsKey("X-Requested-With"))
        {
            return false;
        }

        var mode = headers["Sec-Fetch-Mode"].ToString();
        if (mode.Length > 0 && !mode.Equals("navigate", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        return headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The URL asked for, without a <c>token</c> parameter.</summary>
    public static string CleanUrl(HttpRequest request) =>
        UriHelper.BuildAbsolute(request.Scheme, request.Host, request.PathBase, request.Path, QueryWithoutToken(request));

    private static QueryString QueryWithoutToken(HttpRequest request)
    {
        var query = QueryHelpers.ParseQuery(request.QueryString.Value);
        query.Remove(TokenParameter);
        return new QueryBuilder(query.SelectMany(p => p.Value.Select(v => KeyValuePair.Create(p.Key, v ?? "")))).ToQueryString();
    }

    /// <summary>
    /// The login page for this URL, on <c>Gateway:PublicUrl</c> (the one host whose callbacks the providers
    /// know), or on the request's own host when none is configured.
    /// </summary>
    public string LoginUrl(HttpRequest request, string? error)
    {
        var hub = configuration["Gateway:PublicUrl"]?.TrimEnd('/') ?? $"{request.Scheme}://{request.Host}";
        var url = $"{hub}/login?origin={Uri.EscapeDataString(CleanUrl(request))}";
        return error is null ? url : $"{url}&error={error}";
    }
}
