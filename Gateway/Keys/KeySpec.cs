using System.Text;
using System.Text.RegularExpressions;
using Tribuo.Gateway.RateLimits;

namespace Tribuo.Gateway.Keys;

/// <summary>
/// A key as an operator describes it (keys file, CLI, <c>POST /gateway/keys</c>): <c>Secret</c> for samples
/// and development, <c>Sha256</c> for real files, or neither to have one generated.
/// </summary>
internal sealed record KeySpec
{
    public string? Id { get; init; }
    public string? Name { get; init; }
    public string? Secret { get; init; }
    public string? Sha256 { get; init; }
    public IReadOnlyList<string>? Scopes { get; init; }
    public IReadOnlyList<string>? Origins { get; init; }
    public DateTimeOffset? Expires { get; init; }
    public bool Disabled { get; init; }
    public string? UserId { get; init; }
    /// <summary><c>&lt;count&gt;/&lt;window&gt;</c> each, such as <c>100/1s</c>, <c>100000/1d</c>.</summary>
    public IReadOnlyList<string>? RateLimits { get; init; }
}

/// <summary>The rules every way of creating or editing a key shares; each error names the key and the field.</summary>
internal static partial class KeyRules
{
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._:@-]{0,99}$")]
    private static partial Regex IdPattern();

    [GeneratedRegex("^[a-f0-9]{64}$")]
    private static partial Regex Sha256Pattern();

    [GeneratedRegex("^[A-Za-z0-9*][A-Za-z0-9._:*/-]{0,99}$")]
    private static partial Regex ScopePattern();

    public const int MaxNameLength = 200;

    /// <summary>
    /// Ids a user's API token has (<c>user-&lt;user id&gt;</c>): only the login hub creates them. A Zoho user's id is
    /// public (their picture's URL, the JWT's <c>id</c>); a key created under it by an admin key kept the user from
    /// getting a token, and a role change then gave that key the role's scopes, up to <c>*</c> (an outside probe).
    /// </summary>
    public const string UserTokenPrefix = "user-";

    public static bool IsUserTokenId(string? id) => id is not null && id.StartsWith(UserTokenPrefix, StringComparison.OrdinalIgnoreCase);

    public static string UserTokenReserved(string? id) =>
        $"key '{id}': Id: ids starting with '{UserTokenPrefix}' are users' API tokens, which only the login hub creates; choose another.";

    /// <summary>Bidirectional controls (U+202E and its kin): a name that reads one way in the console and another in a log.</summary>
    private static bool IsBidiControl(char c) => c is '\u061C' or '\u200E' or '\u200F' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069');

    public static List<string> Validate(KeySpec spec, DateTimeOffset now)
    {
        var errors = new List<string>();
        var subject = $"key '{spec.Id}'";
        if (spec.Id is null || !IdPattern().IsMatch(spec.Id))
        {
            errors.Add($"{subject}: Id: must be 1-100 characters of letters, digits and . _ : @ -, starting with a letter or digit.");
        }

        if (string.IsNullOrWhiteSpace(spec.Name))
        {
            errors.Add($"{subject}: Name: is required.");
        }
        else if (spec.Name.Length > MaxNameLength || spec.Name.Any(c => char.IsControl(c) || IsBidiControl(c)))
        {
            // A name is shown in lists, audit lines and the console: bounded, one line, read in one direction.
            errors.Add($"{subject}: Name: must be at most {MaxNameLength} characters, without control or bidirectional-control characters.");
        }

        if (spec.Secret is not null && spec.Sha256 is not null)
        {
            errors.Add($"{subject}: Secret/Sha256: give one, not both.");
        }

        if (spec.Secret is not null && spec.Secret.Length < 16)
        {
            errors.Add($"{subject}: Secret: is shorter than 16 characters.");
        }

        if (spec.Secret is not null && spec.Secret.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            errors.Add($"{subject}: Secret: contains white space or control characters.");
        }

        if (spec.Sha256 is not null && !Sha256Pattern().IsMatch(spec.Sha256))
        {
            errors.Add($"{subject}: Sha256: must be 64 lowercase hex characters (sha256sum of the secret).");
        }

        if (spec.Scopes is null || spec.Scopes.Count == 0)
        {
            errors.Add($"{subject}: Scopes: list at least one scope (\"*\" for every route).");
        }
        else
        {
            errors.AddRange(spec.Scopes.Where(s => !ScopePattern().IsMatch(s)).Select(s => $"{subject}: Scopes: '{s}' is not a valid scope."));
        }

        foreach (var origin in spec.Origins ?? [])
        {
            if (!IsExactOrigin(origin))
            {
                errors.Add($"{subject}: Origins: '{origin}' is not an origin; write scheme://host[:port] with nothing after it."
                    + (AsciiForm(origin) is { } ascii ? $" Browsers send this host in its ASCII form: {ascii}" : ""));
            }
        }

        foreach (var text in spec.RateLimits ?? [])
        {
            if (!RateLimit.TryParse(text, out _, out var error))
            {
                errors.Add($"{subject}: RateLimits: {error}");
            }
        }

        if (spec.Expires is { } expires && expires <= now)
        {
            errors.Add($"{subject}: Expires: {expires:O} is in the past.");
        }

        return errors;
    }

    /// <summary>
    /// True for <c>https://host</c> or <c>http://host:port</c> exactly as a browser sends <c>Origin</c>: in ASCII,
    /// an internationalized host in its <c>xn--</c> form. <see cref="Uri"/> alone keeps a Unicode host, and a
    /// Unicode origin could never match a browser's nor be echoed in a response header (Kestrel throws: a 500).
    /// </summary>
    public static bool IsExactOrigin(string origin) =>
        Ascii.IsValid(origin)
        && Uri.TryCreate(origin, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
        && string.IsNullOrEmpty(uri.UserInfo)
        && uri.GetLeftPart(UriPartial.Authority) == origin.ToLowerInvariant()
        && origin == origin.ToLowerInvariant();

    /// <summary>The <c>xn--</c> form of an origin written with a Unicode host, for the error message; null otherwise.</summary>
    private static string? AsciiForm(string origin)
    {
        if (Ascii.IsValid(origin) || !Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.HostNameType != UriHostNameType.Dns)
        {
            return null;
        }

        var ascii = $"{uri.Scheme}://{uri.IdnHost}" + (uri.IsDefaultPort ? "" : $":{uri.Port}");
        return IsExactOrigin(ascii) ? ascii : null;
    }
}
