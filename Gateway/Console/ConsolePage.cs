using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Antiforgery;

namespace Tribuo.Gateway.OperatorsConsole;

/// <summary>The console's sections, for the navigation bar.</summary>
internal enum ConsoleSection
{
    None,
    Keys,
    Users,
    Routes,
    Audit,
}

/// <summary>
/// A console page: the layout (navigation, the person signed in) around a body of HTML, served with a strict
/// Content-Security-Policy (the one stylesheet and the one script, the copy button's, allowed by their hashes; forms
/// only to the console itself), no framing, no caching and no referrer. Every value a page shows goes through
/// <see cref="E"/>.
/// </summary>
internal sealed class ConsolePage(string title, ConsoleSection section, string body, int status = StatusCodes.Status200OK) : IResult
{
    private const string Style = """
        *{box-sizing:border-box}body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f3f5f9;color:#1d2433}
        header{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1.5rem;padding:.75rem 1.25rem;background:#1d2a4d;color:#fff}
        header .brand{font-weight:700;white-space:nowrap}header nav{display:flex;flex-wrap:wrap;gap:.25rem}
        header nav a{color:#dfe6ff;text-decoration:none;padding:.35rem .7rem;border-radius:6px}header nav a.on{background:#3a4f8f;color:#fff}
        header .who{margin-left:auto;font-size:.85rem;color:#c5cfee;overflow-wrap:anywhere}
        main{max-width:72rem;margin:0 auto;padding:1.25rem}h1{font-size:1.45rem;margin:.25rem 0 1rem}h2{font-size:1.1rem;margin:1.75rem 0 .6rem}
        .card{background:#fff;border-radius:10px;box-shadow:0 1px 6px rgba(20,30,60,.1);padding:1rem 1.25rem;margin:0 0 1rem}
        .scroll{overflow-x:auto;background:#fff;border-radius:10px;box-shadow:0 1px 6px rgba(20,30,60,.1);margin:0 0 1rem}
        table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{text-align:left;padding:.5rem .75rem;border-bottom:1px solid #e6e9f0;vertical-align:top}
        th{background:#f7f8fb;font-weight:600;white-space:nowrap}.nowrap{white-space:nowrap}tr:last-child td{border-bottom:0}
        td .mono{overflow-wrap:normal}td a.mono{white-space:nowrap}
        code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85rem;overflow-wrap:anywhere}
        a{color:#2450c9}.badge{display:inline-block;padding:.05rem .5rem;border-radius:99px;font-size:.78rem;font-weight:600;white-space:nowrap}
        .active{background:#e3f5e8;color:#1c6b34}.expired{background:#fff3d6;color:#7a5a00}.disabled{background:#eceef3;color:#4a5468}.revoked{background:#fdecec;color:#8a1c1c}
        form.filters{display:flex;flex-wrap:wrap;gap:.5rem;align-items:flex-end;margin:0 0 1rem}
        form.filters label{display:flex;flex-direction:column;font-size:.8rem;color:#4a5468;flex:1 1 9rem}
        label{display:block;font-size:.85rem;font-weight:600;margin:.6rem 0 .2rem}small.hint{display:block;color:#6b7488;font-weight:400}
        input,select,textarea{width:100%;padding:.5rem .6rem;border:1px solid #b8c0d0;border-radius:7px;font:inherit;background:#fff}
        button,a.button{display:inline-block;padding:.5rem 1rem;border-radius:7px;font:inherit;font-weight:600;border:1px solid #2450c9;
        background:#2f5fe0;color:#fff;cursor:pointer;text-decoration:none;white-space:nowrap}
        button.secondary,a.button.secondary{background:#fff;color:#2450c9}button.danger{background:#c62828;border-color:#a61d1d}
        button:focus,a:focus,input:focus,select:focus{outline:3px solid #f2b705;outline-offset:2px}
        .actions{display:flex;flex-wrap:wrap;gap:.5rem;margin:.75rem 0}.actions form{margin:0}
        .notice{padding:.7rem 1rem;margin:0 0 1rem;border-radius:8px;background:#e3f5e8;color:#1c6b34;border:1px solid #b9e2c4}
        .error{padding:.7rem 1rem;margin:0 0 1rem;border-radius:8px;background:#fdecec;color:#8a1c1c;border:1px solid #f5c2c2;white-space:pre-line}
        .narrow input{max-width:24rem}.secret{display:flex;gap:.5rem;flex-wrap:wrap}.secret input{flex:1 1 16rem;font-family:ui-monospace,monospace}
        dl{display:grid;grid-template-columns:minmax(7rem,max-content) 1fr;gap:.3rem 1rem;margin:0}dt{color:#4a5468}dd{margin:0;overflow-wrap:anywhere}
        .grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(15rem,1fr));gap:0 1rem;align-items:end}
        .gain{color:#1c6b34}.lose{color:#8a1c1c}ul.plain{margin:.25rem 0;padding-left:1.2rem}.pager{margin:.5rem 0 1.5rem}
        @media (max-width:40rem){main{padding:.75rem}header .who{margin-left:0;width:100%}dl{grid-template-columns:1fr}dt{font-weight:600}}
        """;

    /// <summary>The copy button (the only script): copies the secret shown once, through the clipboard API or a selection.</summary>
    private const string Script = """
        document.querySelectorAll('button[data-copy]').forEach(function (b) {
          b.addEventListener('click', function () {
            var field = document.getElementById(b.getAttribute('data-copy'));
            var done = function () { b.textContent = b.getAttribute('data-done'); };
            var fallback = function () { field.select(); document.execCommand('copy'); done(); };
            if (navigator.clipboard) { navigator.clipboard.writeText(field.value).then(done, fallback); } else { fallback(); }
          });
        });
        """;

    private static readonly string StyleHash = Sha256Source(Style);
    private static readonly string ScriptHash = Sha256Source(Script);

    public static readonly string ContentSecurityPolicy =
        $"default-src 'none'; style-src {StyleHash}; script-src {ScriptHash}; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    public async Task ExecuteAsync(HttpContext context)
    {
        var texts = ConsoleTexts.Current;
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "text/html; charset=utf-8";
        SecurityHeaders(response, texts);
        var who = ConsoleOperator.Find(context) is { } person ? $"<span class=\"who\">{E(person.Email)} · {E(person.Role)}</span>" : "";
        var nav = ConsoleOperator.Find(context) is null ? "" : "<nav>" + string.Concat(new[]
        {
            (ConsoleSection.Keys, "/gateway/console/keys", texts.Keys),
            (ConsoleSection.Users, "/gateway/console/users", texts.Users),
            (ConsoleSection.Routes, "/gateway/console/routes", texts.Routes),
            (ConsoleSection.Audit, "/gateway/console/audit", texts.Audit),
        }.Select(n => $"<a href=\"{n.Item2}\"{(n.Item1 == section ? " class=\"on\" aria-current=\"page\"" : "")}>{E(n.Item3)}</a>")) + "</nav>";
        await response.WriteAsync($"""
            <!doctype html>
            <html lang="{texts.Language}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
            <title>{E(title)} · {E(texts.ConsoleTitle)}</title><style>{Style}</style></head>
            <body><header><span class="brand">{E(texts.ConsoleTitle)}</span>{nav}{who}</header>
            <main>{body}</main><script>{Script}</script></body></html>
            """);
    }

    /// <summary>The headers of every console answer, pages and downloads alike.</summary>
    public static void SecurityHeaders(HttpResponse response, ConsoleTexts texts)
    {
        var headers = response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XFrameOptions = "DENY";
        headers.CacheControl = "no-store";
        headers["X-Content-Type-Options"] = "nosniff";
        // Nothing to other sites; but same-origin, so that the page's own form posts carry its Origin (under
        // no-referrer a browser sends "Origin: null" even to its own origin, which the cross-site check must refuse).
        headers["Referrer-Policy"] = "same-origin";
        headers.ContentLanguage = texts.Language;
    }

    public static string E(string? text) => WebUtility.HtmlEncode(text ?? "");

    /// <summary>A query-string value.</summary>
    public static string Q(string? text) => Uri.EscapeDataString(text ?? "");

    /// <summary>A time as operators read it: UTC, to the minute.</summary>
    public static string Time(DateTimeOffset? time) => time is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm") + " UTC" : "—";

    /// <summary>A form posting to <paramref name="action"/> with the antiforgery token of this request.</summary>
    public static string Form(HttpContext context, string action, string inner, string? cssClass = null)
    {
        var tokens = context.RequestServices.GetRequiredService<IAntiforgery>().GetAndStoreTokens(context);
        return $"<form method=\"post\" action=\"{E(action)}\"{(cssClass is null ? "" : $" class=\"{cssClass}\"")}>"
            + $"<input type=\"hidden\" name=\"{E(tokens.FormFieldName)}\" value=\"{E(tokens.RequestToken)}\">{inner}</form>";
    }

    /// <summary>A one-button form (an action on a key or a user).</summary>
    public static string Button(HttpContext context, string action, string label, string css = "secondary") =>
        Form(context, action, $"<button type=\"submit\" class=\"{css}\">{E(label)}</button>");

    public static string Field(string name, string label, string? value, string? hint = null, string type = "text", bool required = false) =>
        $"<label for=\"{name}\">{E(label)}{(hint is null ? "" : $"<small class=\"hint\">{E(hint)}</small>")}</label>"
        + $"<input id=\"{name}\" name=\"{name}\" type=\"{type}\" value=\"{E(value)}\"{(required ? " required" : "")}>";

    /// <summary>A table in a horizontally scrolling box (phones), cells already HTML.</summary>
    public static string Table(IEnumerable<string> headings, IEnumerable<IEnumerable<string>> rows, string? empty = null)
    {
        var body = string.Concat(rows.Select(r => "<tr>" + string.Concat(r.Select(c => $"<td>{c}</td>")) + "</tr>"));
        if (body.Length == 0 && empty is not null)
        {
            return $"<p class=\"card\">{E(empty)}</p>";
        }

        return "<div class=\"scroll\"><table><thead><tr>" + string.Concat(headings.Select(h => $"<th>{E(h)}</th>")) + $"</tr></thead><tbody>{body}</tbody></table></div>";
    }

    /// <summary>A page that only says why nothing happened.</summary>
    public static ConsolePage Message(string title, string sentence, int status) => new(title, ConsoleSection.None, $"<h1>{E(title)}</h1>{Error(sentence)}", status);

    public static string Notice(string? text) => string.IsNullOrEmpty(text) ? "" : $"<p class=\"notice\" role=\"status\">{E(text)}</p>";

    public static string Error(string? text) => string.IsNullOrEmpty(text) ? "" : $"<p class=\"error\" role=\"alert\">{E(text)}</p>";

    private static string Sha256Source(string source) => "'sha256-" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(source))) + "'";
}
