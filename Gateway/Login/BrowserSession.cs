using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.AspNetCore.WebUtilities;
using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;

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
    /// Binds a hand-back to the login this gateway started for this browser (DESIGN §6): the redirect to the
    /// login page sets a random value as this cookie and in the return URL as this parameter; the token that
    /// comes back replaces a session only when both still match. A link carrying someone else's token has
    /// no matching cookie in the victim's browser.
    /// </summary>
    public const string HandBackBinding = "tribuo_login";

    /// <summary>
    /// The binding cookie's name: on https <c>__Host-tribuo_login</c>, which browsers accept only from this very
    /// host (Secure, Path=/, no Domain), so a sibling subdomain cannot toss a binding it knows; on plain http
    /// (localhost development, where browsers refuse the prefix) the bare name.
    /// </summary>
    public static string BindingCookie(HttpRequest request) => request.IsHttps ? "__Host-" + HandBackBinding : HandBackBinding;
    private static readonly TimeSpan BindingLifetime = TimeSpan.FromMinutes(15);

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

        var accept = headers.Accept.ToString();
        if (!accept.Contains("text/html", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        // "text/html;q=0" says "not HTML" (an outside probe: it was read as a page load and got a 302): only then parsed.
        return !accept.Contains("q=0", StringComparison.OrdinalIgnoreCase)
            || (Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParseList([accept], out var types)
                && types.Any(t => t.MediaType.Equals("text/html", StringComparison.OrdinalIgnoreCase) && t.Quality is not 0));
    }

    /// <summary>The URL asked for, without a <c>token</c> parameter nor a hand-back binding.</summary>
    public static string CleanUrl(HttpRequest request) =>
        UriHelper.BuildAbsolute(request.Scheme, request.Host, request.PathBase, request.Path, QueryWithoutToken(request));

    private static QueryString QueryWithoutToken(HttpRequest request)
    {
        var query = QueryHelpers.ParseQuery(request.QueryString.Value);
        query.Remove(TokenParameter);
        query.Remove(HandBackBinding);
        return new QueryBuilder(query.SelectMany(p => p.Value.Select(v => KeyValuePair.Create(p.Key, v ?? "")))).ToQueryString();
    }

    /// <summary>
    /// The login page for this URL, on <c>Gateway:PublicUrl</c> (the one host whose callbacks the providers
    /// know), or on the request's own host when none is configured.
    /// </summary>
    public string LoginUrl(HttpRequest request, string? error)
    {
        var binding = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(16));
        request.HttpContext.Response.Cookies.Append(BindingCookie(request), binding, new CookieOptions
        {
            HttpOnly = true,
            Secure = request.IsHttps,
            SameSite = SameSiteMode.Lax,
            Path = "/",
            MaxAge = BindingLifetime,
        });
        var returnTo = ReturnTo(request, binding);
        var hub = configuration["Gateway:PublicUrl"]?.TrimEnd('/') ?? $"{request.Scheme}://{request.Host}";
        var url = $"{hub}/login?origin={Uri.EscapeDataString(returnTo)}";
        return error is null ? url : $"{url}&error={error}";
    }

    /// <summary>
    /// The URL the login comes back to, bound: the full URL asked for when the login page accepts it as an origin
    /// (at most <see cref="ReturnUrl.MaxLength"/> characters), else its path without the query, else the site's root.
    /// A longer link would be refused by the login page, and the page could never be logged into.
    /// </summary>
    private static string ReturnTo(HttpRequest request, string binding)
    {
        string[] candidates =
        [
            CleanUrl(request),
            UriHelper.BuildAbsolute(request.Scheme, request.Host, request.PathBase, request.Path),
            UriHelper.BuildAbsolute(request.Scheme, request.Host),
        ];
        var bound = candidates.Select(url => QueryHelpers.AddQueryString(url, HandBackBinding, binding)).ToArray();
        return bound.FirstOrDefault(url => url.Length <= ReturnUrl.MaxLength) ?? bound[^1];
    }

    /// <summary>Whether this hand-back comes back from a login this gateway started for this browser.</summary>
    public static bool IsBound(HttpRequest request)
    {
        var sent = request.Query[HandBackBinding];
        var kept = BindingCookieValue(request);
        return sent.Count == 1 && !string.IsNullOrEmpty(sent[0]) && !string.IsNullOrEmpty(kept)
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(sent[0]!), Encoding.UTF8.GetBytes(kept));
    }

    /// <summary>
    /// The binding cookie's value, read on the raw header: one pair whose name is <see cref="BindingCookie"/> in exactly
    /// that case, and no other pair of that name in another case. <c>Request.Cookies</c> ignores case, and a browser
    /// that checks the <c>__Host-</c> prefix case-sensitively lets a sibling subdomain set <c>__host-tribuo_login</c>.
    /// </summary>
    private static string? BindingCookieValue(HttpRequest request)
    {
        var name = BindingCookie(request);
        string? value = null;
        var spellings = 0;
        foreach (var header in request.Headers.Cookie)
        {
            foreach (var pair in (header ?? "").Split(';'))
            {
                if (Http.CookiePair.TryRead(pair, name, out var sentName, out var sentValue))
                {
                    spellings++;
                    value = sentName.Equals(name, StringComparison.Ordinal) ? sentValue : null;
                }
            }
        }

        return spellings == 1 ? value : null;
    }

    /// <summary>A binding serves one hand-back.</summary>
    public static void ForgetBinding(HttpContext context) =>
        context.Response.Cookies.Delete(BindingCookie(context.Request), new CookieOptions { Path = "/", HttpOnly = true, Secure = context.Request.IsHttps, SameSite = SameSiteMode.Lax });
}
