using Yarp.ReverseProxy.Configuration;

namespace Tribuo.Gateway.Routes;

/// <summary>How a route authenticates its callers (<c>Metadata.Auth</c>).</summary>
internal enum AuthMode
{
    /// <summary>A key must pass; the default, so a route without <c>Auth</c> is closed.</summary>
    Key,
    Public,
    User,
    /// <summary>A key or a user.</summary>
    Any,
}

/// <summary>
/// A route's access rules, parsed from its <c>Metadata</c> once per configuration load and attached to the
/// route's endpoint, so request handling reads typed values instead of re-parsing strings.
/// </summary>
internal sealed record RoutePolicy
{
    public static readonly RoutePolicy Closed = new() { RouteId = "", Auth = AuthMode.Key };

    public required string RouteId { get; init; }
    public required AuthMode Auth { get; init; }

    /// <summary>Any-of. Empty under <c>key</c>/<c>any</c> means only <c>*</c> keys pass.</summary>
    public IReadOnlyList<string> Scopes { get; init; } = [];
    public IReadOnlyList<string> Roles { get; init; } = [];
    public IReadOnlyList<string> Companies { get; init; } = [];
    public bool ForwardAuthorization { get; init; }

    /// <summary>Per caller on this route (<c>Metadata.RateLimit</c>); null when the route sets none.</summary>
    public RateLimits.RateLimit? RateLimit { get; init; }

    /// <summary>The headers and query parameters the route matches on by value, which a request must send once; null for none.</summary>
    public MatchedValues? MatchedValues { get; init; }

    /// <summary>Parses a route's metadata; <paramref name="errors"/> collects every problem found.</summary>
    public static RoutePolicy Parse(RouteConfig route, ICollection<ConfigError> errors)
    {
        var subject = $"route '{route.RouteId}'";
        // Two spellings of one name are reported by RoutesShape; here the first is read, never an exception.
        var metadata = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in route.Metadata ?? new Dictionary<string, string>())
        {
            if (value is not null) // a null value is reported by RoutesShape
            {
                metadata.TryAdd(name, value);
            }
        }

        var auth = AuthMode.Key;
        if (metadata.TryGetValue(MetadataKeys.Auth, out var authText) && !TryParseAuth(authText, out auth))
        {
            errors.Add(new(subject, "Metadata.Auth", $"'{authText}' is not an auth mode; use public, key, user or any."));
        }

        var forward = false;
        if (metadata.TryGetValue(MetadataKeys.ForwardAuthorization, out var forwardText) && !bool.TryParse(forwardText, out forward))
        {
            errors.Add(new(subject, "Metadata.ForwardAuthorization", $"'{forwardText}' is not 'true' or 'false'."));
        }

        RateLimits.RateLimit? rateLimit = null;
        if (metadata.TryGetValue(MetadataKeys.RateLimit, out var rateLimitText))
        {
            if (RateLimits.RateLimit.TryParse(rateLimitText, out var parsed, out var rateLimitError))
            {
                rateLimit = parsed;
            }
            else
            {
                errors.Add(new(subject, "Metadata.RateLimit", rateLimitError));
            }
        }

        return new RoutePolicy
        {
            RouteId = route.RouteId,
            Auth = auth,
            Scopes = SpaceSeparated(metadata, MetadataKeys.Scopes, subject, errors),
            Roles = SpaceSeparated(metadata, MetadataKeys.Roles, subject, errors),
            Companies = SpaceSeparated(metadata, MetadataKeys.Companies, subject, errors),
            ForwardAuthorization = forward,
            RateLimit = rateLimit,
            MatchedValues = MatchedValues.Of(route.Match),
        };
    }

    private static bool TryParseAuth(string text, out AuthMode mode)
    {
        // Enum.TryParse would also accept numbers ("1"); only the four documented words are valid.
        switch (text.Trim().ToLowerInvariant())
        {
            case "public": mode = AuthMode.Public; return true;
            case "key": mode = AuthMode.Key; return true;
            case "user": mode = AuthMode.User; return true;
            case "any": mode = AuthMode.Any; return true;
            default: mode = AuthMode.Key; return false;
        }
    }

    private static IReadOnlyList<string> SpaceSeparated(Dictionary<string, string> metadata, string key, string subject, ICollection<ConfigError> errors)
    {
        if (!metadata.TryGetValue(key, out var text))
        {
            return [];
        }

        if (string.IsNullOrWhiteSpace(text))
        {
            errors.Add(new(subject, $"Metadata.{key}", "is empty; remove it or list space-separated values."));
            return [];
        }

        // A stray comma ("a, b") would silently create a scope named "a," that no key holds.
        var values = text.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var value in values)
        {
            if (value.Any(c => char.IsControl(c) || c == ','))
            {
                errors.Add(new(subject, $"Metadata.{key}", $"'{value}' is not a valid value; values are separated by spaces, not commas."));
            }
        }

        return values.Distinct(StringComparer.Ordinal).ToArray();
    }
}

/// <summary>The <c>Metadata</c> names DESIGN §3 defines.</summary>
internal static class MetadataKeys
{
    public const string Auth = "Auth";
    public const string Scopes = "Scopes";
    public const string Roles = "Roles";
    public const string Companies = "Companies";
    public const string ForwardAuthorization = "ForwardAuthorization";
    public const string RateLimit = "RateLimit";
}

/// <summary>One configuration problem: what it is about (route/cluster/file), the field, and what is wrong.</summary>
internal sealed record ConfigError(string Subject, string Field, string Message)
{
    public override string ToString() => $"{Subject}: {Field}: {Message}";
}
