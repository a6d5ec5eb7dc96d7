using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace Tribuo.Gateway.Login;

/// <summary>A provider button on the login page.</summary>
internal sealed record ProviderButton(string Name, string DisplayName);

/// <summary>
/// The login page and the login error page: one small HTML document, no external assets, no script. Served
/// with a strict Content-Security-Policy (the one inline stylesheet is allowed by its hash), no framing and
/// no caching.
/// </summary>
internal static class LoginPage
{
    private const string Style = """
        *{box-sizing:border-box}body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;
        font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f3f5f9;color:#1d2433}
        main{width:100%;max-width:24rem;margin:1rem;padding:2rem;background:#fff;border-radius:12px;box-shadow:0 2px 12px rgba(20,30,60,.12)}
        h1{font-size:1.4rem;margin:0 0 .25rem}p.lead{margin:0 0 1.5rem;color:#4a5468}
        .error{padding:.75rem 1rem;margin:0 0 1.25rem;border-radius:8px;background:#fdecec;color:#8a1c1c;border:1px solid #f5c2c2}
        a.provider,button{display:block;width:100%;padding:.75rem 1rem;margin:0 0 .75rem;border-radius:8px;font:inherit;font-weight:600;
        text-align:center;text-decoration:none;border:1px solid #2450c9;background:#2f5fe0;color:#fff;cursor:pointer}
        a.provider:focus,button:focus,input:focus{outline:3px solid #f2b705;outline-offset:2px}
        form{margin-top:1.5rem;padding-top:1.25rem;border-top:1px solid #e3e7ef}
        label{display:block;font-size:.9rem;margin:.5rem 0 .25rem}input{width:100%;padding:.6rem .75rem;border:1px solid #b8c0d0;border-radius:8px;font:inherit}
        button.secondary{margin-top:1rem;background:#fff;color:#2450c9}small{display:block;margin-top:1rem;color:#6b7488}
        """;

    private static readonly string StyleHash = "'sha256-" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(Style))) + "'";

    public static Task WriteLoginAsync(HttpContext context, ReturnUrl returnUrl, IReadOnlyList<ProviderButton> providers, bool legacyPasswords, string? error,
        int status = StatusCodes.Status200OK, Users.User? signedInAs = null)
    {
        var texts = LoginTexts.Current;
        var origin = WebUtility.UrlEncode(returnUrl.Url);
        var body = new StringBuilder();
        body.Append($"<h1>{Html(texts.LoginHeading)}</h1>");
        body.Append($"<p class=\"lead\">{Html(texts.ToContinueTo("\u0001"), "\u0001", $"<strong>{Html(returnUrl.Origin)}</strong>")}</p>");
        if (texts.ErrorSentence(error) is { } sentence)
        {
            body.Append($"<p class=\"error\" role=\"alert\">{Html(sentence)}</p>");
        }

        if (signedInAs is not null)
        {
            var name = $"<strong>{Html(signedInAs.Name.Length > 0 ? signedInAs.Name : signedInAs.Email)}</strong>";
            body.Append($"<p class=\"account\">{Html(texts.LoggedInAs("\u0001", "\u0002"), "\u0001", name).Replace("\u0002", Html(signedInAs.Email), StringComparison.Ordinal)}</p>");
            body.Append($"<form class=\"logout\" method=\"post\" action=\"/auth/logout?origin={Html(origin)}\"><button class=\"secondary\" type=\"submit\">{Html(texts.LogOut)}</button></form>");
            body.Append($"<p class=\"lead\">{Html(texts.SwitchAccount)}</p>");
        }

        foreach (var provider in providers)
        {
            body.Append($"<a class=\"provider\" href=\"/auth/login-{Html(provider.Name)}?origin={Html(origin)}\">{Html(texts.ContinueWith(provider.DisplayName))}</a>");
        }

        if (legacyPasswords)
        {
            body.Append("<form method=\"post\" action=\"/auth/login-password\">");
            body.Append($"<input type=\"hidden\" name=\"origin\" value=\"{Html(returnUrl.Url)}\">");
            body.Append($"<label for=\"email\">{Html(texts.Email)}</label><input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"username\" required>");
            body.Append($"<label for=\"password\">{Html(texts.Password)}</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>");
            body.Append($"<button class=\"secondary\" type=\"submit\">{Html(texts.LogInWithPassword)}</button></form>");
        }

        return WriteAsync(context, texts, status, texts.LoginTitle, body.ToString(), formTarget: returnUrl.Origin);
    }

    /// <summary>The question a logout link that did not come from the gateway's own pages gets: a button that posts it.</summary>
    public static Task WriteLogoutAsync(HttpContext context, ReturnUrl? returnUrl)
    {
        var texts = LoginTexts.Current;
        var action = returnUrl is null ? "/auth/logout" : $"/auth/logout?origin={WebUtility.UrlEncode(returnUrl.Url)}";
        return WriteAsync(context, texts, StatusCodes.Status200OK, texts.LogoutTitle,
            $"<h1>{Html(texts.LogoutHeading)}</h1><form method=\"post\" action=\"{Html(action)}\"><button type=\"submit\">{Html(texts.LogOut)}</button></form>",
            formTarget: null);
    }

    /// <summary>A store the login needs cannot be reached: a 503 page, never a 500 (issue 8 item 11).</summary>
    public static Task WriteUnavailableAsync(HttpContext context)
    {
        var texts = LoginTexts.Current;
        context.Response.Headers.RetryAfter = "5";
        return WriteErrorAsync(context, StatusCodes.Status503ServiceUnavailable, texts.UnavailableTitle, texts.UnavailableSentence);
    }

    /// <summary>An error page; <paramref name="title"/> and <paramref name="sentence"/> come from <see cref="LoginTexts.Current"/>.</summary>
    public static Task WriteErrorAsync(HttpContext context, int status, string title, string sentence)
    {
        var texts = LoginTexts.Current;
        return WriteAsync(context, texts, status, $"{title} · Tribuo",
            $"<h1>{Html(title)}</h1><p class=\"error\" role=\"alert\">{Html(sentence)}</p><small>{Html(texts.GoBack)}</small>",
            formTarget: null);
    }

    private static Task WriteAsync(HttpContext context, LoginTexts texts, int status, string title, string body, string? formTarget)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "text/html; charset=utf-8";
        var headers = response.Headers;
        // form-action also governs the redirect that follows a form post (Chrome), hence the origin.
        headers.ContentSecurityPolicy = $"default-src 'none'; style-src {StyleHash}; img-src 'self'; form-action 'self'{(formTarget is null ? "" : " " + formTarget)}; frame-ancestors 'none'; base-uri 'none'";
        headers.XFrameOptions = "DENY";
        headers.CacheControl = "no-store";
        headers["X-Content-Type-Options"] = "nosniff";
        // Nothing to other sites; but same-origin, so that the page's own form posts carry its Origin (under
        // no-referrer a browser sends "Origin: null" even to its own origin, which the cross-site check must refuse).
        headers["Referrer-Policy"] = "same-origin";
        headers.ContentLanguage = texts.Language;
        return response.WriteAsync($"""
            <!doctype html>
            <html lang="{texts.Language}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
            <title>{Html(title)}</title><style>{Style}</style></head>
            <body><main>{body}</main></body></html>
            """);
    }

    private static string Html(string text) => WebUtility.HtmlEncode(text);

    /// <summary>A translated sentence with markup in its middle: the sentence is encoded, then the placeholder becomes <paramref name="html"/>.</summary>
    private static string Html(string sentence, string placeholder, string html) => Html(sentence).Replace(placeholder, html, StringComparison.Ordinal);
}
