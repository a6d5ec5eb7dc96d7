using Tribuo.Gateway.Http;
using Tribuo.Gateway.Proxy;
using Yarp.ReverseProxy.Configuration;

namespace Tribuo.Gateway.Routes;

/// <summary>
/// A route's <c>Transforms</c> may not write what the gateway alone asserts or removes (DESIGN §7): the
/// <c>X-Tribuo-*</c> identity headers (a <c>RequestHeaderRouteValue</c> into <c>X-Tribuo-User-Id</c> let the client
/// choose its "user id"), the headers upstreams read as the client address, scheme, path or method, the forwarding
/// headers (the gateway writes them; a route that wants another form uses YARP's <c>X-Forwarded</c> transform), the
/// <c>Cookie</c> header (the session cookie is cut out of it) and the <c>token</c> query parameter. A route may set
/// <c>Authorization</c>: an upstream's own service credential is a legitimate use.
/// <para>
/// Every key of YARP 2.3's transform schema that names a header is checked, not only <c>RequestHeader</c> (an outside
/// review: <c>X-Forwarded</c> with <c>HeaderPrefix: "X-Tribuo-"</c> sent <c>X-Tribuo-For</c> and a client-chosen
/// <c>X-Tribuo-Host</c>). Each name must first be an RFC 9110 token: YARP does not check them, and a name such as
/// <c>"X-Real-IP "</c> passed every rule, then failed every request on the route with a 502.
/// The keys that name no header: <c>PathSet</c>, <c>PathPrefix</c>, <c>PathRemovePrefix</c>, <c>PathPattern</c>,
/// <c>Query*</c>, <c>HttpMethodChange</c>, <c>RequestHeadersCopy</c>, <c>RequestHeaderOriginalHost</c>,
/// <c>ResponseHeadersCopy</c>, <c>ResponseTrailersCopy</c>, <c>Forwarded</c> (writes <c>Forwarded</c> itself) and
/// the values of <c>Set</c>, <c>Append</c>, <c>When</c>, <c>Action</c> and X-Forwarded's actions.
/// </para>
/// </summary>
internal static class TransformRules
{
    private enum Use
    {
        /// <summary>The header is written to the upstream request: refused when the gateway owns it.</summary>
        Written,

        /// <summary>
        /// A client header is let through (<c>RequestHeadersAllowed</c>): refused when the gateway owns it, except
        /// <c>Cookie</c>, whose session pair is already cut out of the client's header.
        /// </summary>
        PassedThrough,

        /// <summary>Removed, or on the response: only the name's form is checked.</summary>
        NameOnly,
    }

    /// <summary>The keys whose value is one header name, or (<see cref="Lists"/>) a <c>;</c>-separated list of them.</summary>
    private static readonly Dictionary<string, Use> Names = new(StringComparer.OrdinalIgnoreCase)
    {
        ["RequestHeader"] = Use.Written,
        ["RequestHeaderRouteValue"] = Use.Written,
        ["ClientCert"] = Use.Written,
        ["RequestHeadersAllowed"] = Use.PassedThrough,
        ["RequestHeaderRemove"] = Use.NameOnly,
        ["ResponseHeader"] = Use.NameOnly,
        ["ResponseTrailer"] = Use.NameOnly,
        ["ResponseHeaderRemove"] = Use.NameOnly,
        ["ResponseTrailerRemove"] = Use.NameOnly,
        ["ResponseHeadersAllowed"] = Use.NameOnly,
        ["ResponseTrailersAllowed"] = Use.NameOnly,
    };

    private static readonly HashSet<string> Lists = new(StringComparer.OrdinalIgnoreCase)
    {
        "RequestHeadersAllowed", "ResponseHeadersAllowed", "ResponseTrailersAllowed",
    };

    private const string HeaderPrefix = "HeaderPrefix";

    /// <summary>What the <c>X-Forwarded</c> transform appends to its <c>HeaderPrefix</c> (YARP's ForwardedTransformFactory).</summary>
    private static readonly string[] XForwardedSuffixes = ["For", "Proto", "Host", "Prefix"];

    /// <summary>YARP's own prefix, which writes the forwarding headers the gateway would write anyway.</summary>
    private const string DefaultXForwardedPrefix = "X-Forwarded-";

    private static readonly string[] QueryWriters = ["QueryValueParameter", "QueryRouteParameter"];

    private const string Owned = "a header the gateway alone writes or removes (X-Tribuo-*, client address, scheme, path, method, forwarding, Cookie)";
    private const string OwnedButCookie = "a header the gateway alone writes or removes (X-Tribuo-*, client address, scheme, path, method, forwarding)";

    public static void Check(RouteConfig route, ICollection<ConfigError> errors)
    {
        var index = 0;
        foreach (var transform in route.Transforms ?? [])
        {
            foreach (var (name, value) in transform ?? new Dictionary<string, string>())
            {
                if (value is null)
                {
                    continue;
                }

                var field = $"Transforms[{index}].{name}";
                if (Names.TryGetValue(name, out var use))
                {
                    var headers = Lists.Contains(name)
                        ? value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) // as YARP splits it
                        : [value];
                    foreach (var header in headers)
                    {
                        CheckHeader(route, field, header, use, errors);
                    }
                }
                else if (name.Equals(HeaderPrefix, StringComparison.OrdinalIgnoreCase))
                {
                    CheckXForwardedPrefix(route, field, value, errors);
                }
                else if (QueryWriters.Contains(name, StringComparer.OrdinalIgnoreCase) && QueryParameterName.Is(value, "token"))
                {
                    errors.Add(new($"route '{route.RouteId}'", field, "'token' never reaches an upstream (DESIGN §7); a transform may not add it."));
                }
            }

            index++;
        }
    }

    private static void CheckHeader(RouteConfig route, string field, string header, Use use, ICollection<ConfigError> errors)
    {
        if (!HeaderName.IsToken(header))
        {
            errors.Add(new($"route '{route.RouteId}'", field, $"'{Shown(header)}' is not a valid header name ({TokenRule})."));
        }
        else if (use == Use.Written ? Forbidden(header) : use == Use.PassedThrough && Forbidden(header) && !HeaderName.Is(header, "Cookie"))
        {
            errors.Add(new($"route '{route.RouteId}'", field, use == Use.Written
                ? $"'{header}' is {Owned}; a transform may not set it."
                : $"'{header}' is {OwnedButCookie}; a transform may not let a client's through."));
        }
    }

    /// <summary>
    /// <c>X-Forwarded</c> writes its prefix followed by <c>For</c>, <c>Proto</c>, <c>Host</c> and <c>Prefix</c>: each is
    /// checked as a written header. YARP's own <c>X-Forwarded-</c> is the form the README tells routes to use.
    /// </summary>
    private static void CheckXForwardedPrefix(RouteConfig route, string field, string prefix, ICollection<ConfigError> errors)
    {
        foreach (var suffix in XForwardedSuffixes)
        {
            var header = prefix + suffix;
            if (!HeaderName.IsToken(header))
            {
                errors.Add(new($"route '{route.RouteId}'", field,
                    $"'{Shown(prefix)}' makes the X-Forwarded transform write '{Shown(header)}', not a valid header name ({TokenRule})."));
                return;
            }

            if (!prefix.Equals(DefaultXForwardedPrefix, StringComparison.OrdinalIgnoreCase) && Forbidden(header))
            {
                errors.Add(new($"route '{route.RouteId}'", field,
                    $"'{prefix}' makes the X-Forwarded transform write '{header}', {Owned}; a transform may not set it."));
                return;
            }
        }
    }

    private const string TokenRule = "an RFC 9110 token: letters, digits and !#$%&'*+-.^_`|~ only; no space, control character, separator or non-ASCII character";

    /// <summary>The name as the message shows it: control characters escaped, so a log line stays one line.</summary>
    private static string Shown(string name) =>
        string.Concat(name.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));

    /// <summary>
    /// A route may not match on what the gateway alone writes or removes either: routing runs before the proxy steps
    /// take a client's <c>X-Tribuo-User-Role</c> or <c>X-Forwarded-For</c> out, so a rule on one let a client choose the
    /// route (a public route matched on <c>X-Tribuo-User-Role: admin</c> shadowed the <c>user</c> route of the same path),
    /// and a rule on the <c>token</c> query parameter matched on a credential that never reaches the upstream.
    /// </summary>
    public static void CheckMatch(RouteConfig route, ICollection<ConfigError> errors)
    {
        var headers = route.Match?.Headers ?? [];
        for (var i = 0; i < headers.Count; i++)
        {
            if (headers[i]?.Name is { } header && HeaderName.IsToken(header) && Forbidden(header) && !HeaderName.Is(header, "Cookie"))
            {
                errors.Add(new($"route '{route.RouteId}'", $"Match.Headers[{i}].Name",
                    $"'{header}' is {OwnedButCookie}; a client's value is removed after routing, so a route may not match on it."));
            }
        }

        var query = route.Match?.QueryParameters ?? [];
        for (var i = 0; i < query.Count; i++)
        {
            if (query[i]?.Name is { } name && QueryParameterName.Is(name, "token"))
            {
                errors.Add(new($"route '{route.RouteId}'", $"Match.QueryParameters[{i}].Name",
                    "'token' is the login hub's hand-back, removed before forwarding (DESIGN §7); a route may not match on it."));
            }
        }
    }

    private static bool Forbidden(string header) =>
        ClientIdentityHeaders.IsInNamespace(header)
        || OverrideHeaders.IsOverride(header)
        || ForwardedHeaders.IsClientHeader(header)
        || HeaderName.Is(header, "Cookie");
}
