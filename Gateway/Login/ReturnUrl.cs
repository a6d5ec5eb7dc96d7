using System.Text.RegularExpressions;

namespace Tribuo.Gateway.Login;

/// <summary>
/// Where a token may be sent: an <c>origin</c> parameter parsed strictly and compared exactly (scheme, host,
/// port) with <c>Gateway:Login:AllowedOrigins</c>. Anything that does not parse cleanly is refused: userinfo,
/// backslashes, control or white space characters, percent-encoding in the authority, non-http(s) schemes,
/// non-ASCII hosts. The URL a token is appended to is rebuilt from the parsed parts, never the raw string.
/// </summary>
internal sealed partial record ReturnUrl(string Origin, string Url)
{
    [GeneratedRegex(@"^(?<host>[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*)(:(?<port>[0-9]{1,5}))?$", RegexOptions.IgnoreCase)]
    private static partial Regex HostOnly();

    [GeneratedRegex(@"^https?://[^/?#\\@%\s]+([/?#].*)?$", RegexOptions.IgnoreCase)]
    private static partial Regex CleanAbsolute();

    /// <summary>The longest origin a login link may carry.</summary>
    public const int MaxLength = 2048;

    /// <summary>Parses <paramref name="input"/> (a host or an http(s) URL); null with a reason when refused.</summary>
    public static ReturnUrl? Parse(string? input, out string reason)
    {
        reason = "";
        if (string.IsNullOrWhiteSpace(input))
        {
            reason = "The login link has no origin: it must say which site to go back to.";
            return null;
        }

        if (input.Length > MaxLength)
        {
            reason = $"The origin is longer than {MaxLength} characters.";
            return null;
        }

        if (input.Any(c => char.IsControl(c) || char.IsWhiteSpace(c) || c == '\\' || c > '\u007e'))
        {
            reason = "The origin contains characters that are not allowed in a web address.";
            return null;
        }

        string absolute;
        if (HostOnly().Match(input) is { Success: true } host)
        {
            // "localhost:3000" → http, anything else → https (DESIGN §5).
            var name = host.Groups["host"].Value.ToLowerInvariant();
            absolute = (name is "localhost" or "127.0.0.1" ? "http://" : "https://") + input;
        }
        else if (CleanAbsolute().IsMatch(input))
        {
            absolute = input;
        }
        else
        {
            reason = "The origin is not a plain http(s) address of a site.";
            return null;
        }

        if (!Uri.TryCreate(absolute, UriKind.Absolute, out var uri)
            || uri.Scheme is not ("http" or "https")
            || uri.UserInfo.Length > 0
            || uri.HostNameType is not (UriHostNameType.Dns or UriHostNameType.IPv4)
            || uri.Port is < 1 or > 65535)
        {
            reason = "The origin is not a plain http(s) address of a site.";
            return null;
        }

        var origin = uri.GetLeftPart(UriPartial.Authority).ToLowerInvariant();
        // Path and query re-escaped by Uri; the fragment is dropped (it never reaches a server anyway).
        var url = origin + uri.GetComponents(UriComponents.PathAndQuery, UriFormat.UriEscaped);
        return new ReturnUrl(origin, url);
    }

    /// <summary>The normalized form of a configured origin, or null when it is not one.</summary>
    public static string? NormalizeOrigin(string configured) =>
        Parse(configured, out _) is { } parsed && parsed.Url.TrimEnd('/') == parsed.Origin ? parsed.Origin : null;

    /// <summary>
    /// This URL with query parameters added (<c>?</c> or <c>&amp;</c> as the URL needs), after removing the
    /// origin's own parameters of the same names: a site reading the first <c>token</c> or <c>api_token</c> must
    /// get the gateway's, not one an attacker wrote into the login link.
    /// </summary>
    public string With(params (string Name, string? Value)[] parameters)
    {
        var url = Without(parameters.Select(p => p.Name).ToArray()).Url;
        var query = string.Join('&', parameters.Where(p => p.Value is not null)
            .Select(p => $"{Uri.EscapeDataString(p.Name)}={Uri.EscapeDataString(p.Value!)}"));
        return url + (url.Contains('?') ? "&" : "?") + query;
    }

    /// <summary>
    /// This URL without the query parameters of these names, compared as sites read them (<see cref="Http.QueryParameterName"/>:
    /// <c>Token=</c>, <c>to%6Ben=</c>, <c>token[]=</c>, <c>x=1;token=b</c>); every other parameter is kept as it is. A
    /// <c>;</c>-separated <c>token</c> in an origin was kept, and a site splitting on <c>;</c> read the attacker's token
    /// ahead of the hub's (a login CSRF, an outside probe).
    /// </summary>
    public ReturnUrl Without(params string[] names)
    {
        var mark = Url.IndexOf('?');
        if (mark < 0)
        {
            return this;
        }

        var parameters = Url[(mark + 1)..].Split('&');
        var kept = parameters.Where(p => !Http.QueryParameterName.IsAnyOf(p, names)).ToArray();
        return kept.Length == parameters.Length ? this
            : this with { Url = Url[..mark] + (kept.Length == 0 ? "" : "?" + string.Join('&', kept)) };
    }
}

/// <summary>The configured allowed origins, normalized once.</summary>
internal sealed class AllowedOrigins
{
    private readonly HashSet<string> _origins;
    private readonly HashSet<string> _queryHandoff;

    public AllowedOrigins(LoginOptions options)
    {
        _origins = options.AllowedOrigins.Select(ReturnUrl.NormalizeOrigin).OfType<string>().ToHashSet(StringComparer.Ordinal);
        _queryHandoff = options.QueryHandoffOrigins.Select(ReturnUrl.NormalizeOrigin).OfType<string>().ToHashSet(StringComparer.Ordinal);
        Invalid = options.AllowedOrigins.Concat(options.QueryHandoffOrigins).Where(o => ReturnUrl.NormalizeOrigin(o) is null).ToArray();
    }

    /// <summary>Configured entries that are not origins (reported at start).</summary>
    public IReadOnlyList<string> Invalid { get; }

    public bool Contains(string origin) => _origins.Contains(origin);

    public bool WantsQueryHandoff(string origin) => _queryHandoff.Contains(origin) && _origins.Contains(origin);

    /// <summary>Parses and checks an <c>origin</c> parameter; null with a human reason when refused.</summary>
    public ReturnUrl? Check(string? input, out string reason)
    {
        var parsed = ReturnUrl.Parse(input, out reason);
        if (parsed is null)
        {
            return null;
        }

        if (!_origins.Contains(parsed.Origin))
        {
            reason = $"{parsed.Origin} is not a site this login may send you back to.";
            return null;
        }

        return parsed;
    }
}
