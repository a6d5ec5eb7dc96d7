namespace Tribuo.Gateway.Hosting;

/// <summary>
/// <c>Gateway:PublicUrl</c>: the login hub's public base URL. It becomes the start of redirects (<c>Location:
/// &lt;PublicUrl&gt;/login?...</c>), provider callbacks and the tokens' issuer, so it must be an absolute http(s) URL with
/// a host, and nothing a browser would read differently: no user info, query or fragment (a value such as
/// <c>javascript:alert(1)//</c> or <c>//evil.test</c> would otherwise be sent to people as a redirect).
/// </summary>
internal static class PublicUrl
{
    public const string Setting = "Gateway:PublicUrl";

    /// <summary>The configured URL without a trailing <c>/</c>, or null when unset; an unusable value throws, naming the setting.</summary>
    public static string? Read(IConfiguration configuration)
    {
        var value = configuration[Setting];
        if (value is null)
        {
            return null;
        }

        if (Problem(value) is { } problem)
        {
            throw new InvalidOperationException($"{Setting}: '{value}' {problem}; write the hub's address as https://login.example.com (a path is allowed).");
        }

        return value.TrimEnd('/');
    }

    private static string? Problem(string value)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || !Uri.IsWellFormedUriString(value, UriKind.Absolute)
            || value.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c == '\\'))
        {
            return "is not an absolute URL";
        }

        if (uri.Scheme is not ("http" or "https") || !value.StartsWith(uri.Scheme + "://", StringComparison.OrdinalIgnoreCase))
        {
            return "is not an http or https URL";
        }

        if (string.IsNullOrEmpty(uri.Host))
        {
            return "has no host";
        }

        if (uri.UserInfo.Length > 0 || value.Contains('@', StringComparison.Ordinal))
        {
            return "holds user info (user@)";
        }

        if (value.Contains('?', StringComparison.Ordinal) || value.Contains('#', StringComparison.Ordinal))
        {
            return "holds a query or fragment";
        }

        return null;
    }
}
