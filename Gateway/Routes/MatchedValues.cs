using Microsoft.Extensions.Primitives;
using Yarp.ReverseProxy.Configuration;

namespace Tribuo.Gateway.Routes;

/// <summary>
/// The headers and query parameters a route matches on by value (<c>Match.Headers</c>, <c>Match.QueryParameters</c>),
/// which a request it matched must carry once, with one value. YARP passes a rule when any of several values matches
/// (<c>X-Mode: admin</c> and <c>X-Mode: public</c>, <c>X-Mode: admin, public</c>, <c>?mode=admin&amp;mode=public</c>)
/// and forwards them all; an upstream reading the first one (Go's <c>Header.Get</c>, Flask's <c>args.get</c>) then
/// served <c>admin</c> on the public route an outside probe chose with <c>public</c> (DESIGN §3: route and upstream agree,
/// or the request is refused).
/// </summary>
internal sealed record MatchedValues(IReadOnlyList<MatchedValues.Header> Headers, IReadOnlyList<string> QueryParameters)
{
    /// <param name="Listed">The rule compares list members (YARP splits ExactHeader and HeaderPrefix values at
    /// <c>,</c> and strips quotes): a value holding a <c>,</c> or a quote is several values too.</param>
    internal sealed record Header(string Name, bool Listed);

    /// <summary>Null when the route matches on no value (the common case: nothing to check per request).</summary>
    public static MatchedValues? Of(RouteMatch? match)
    {
        var headers = (match?.Headers ?? [])
            .Where(rule => rule.Mode is not (HeaderMatchMode.Exists or HeaderMatchMode.NotExists) && !string.IsNullOrEmpty(rule.Name))
            .Select(rule => new Header(rule.Name, rule.Mode is HeaderMatchMode.ExactHeader or HeaderMatchMode.HeaderPrefix))
            .ToArray();
        var query = (match?.QueryParameters ?? [])
            .Where(rule => rule.Mode is not QueryParameterMatchMode.Exists && !string.IsNullOrEmpty(rule.Name))
            .Select(rule => rule.Name)
            .ToArray();
        return headers.Length == 0 && query.Length == 0 ? null : new MatchedValues(headers, query);
    }

    /// <summary>Why the request's values are ambiguous for this route, or null.</summary>
    public string? FindAmbiguity(HttpRequest request)
    {
        foreach (var header in Headers)
        {
            var values = request.Headers[header.Name];
            if (values.Count > 1 || (header.Listed && values.Count == 1 && values[0]!.AsSpan().IndexOfAny(',', '"') >= 0))
            {
                return $"This route matches on the header '{header.Name}': send it once, with one value (no list, no quotes).";
            }
        }

        foreach (var name in QueryParameters)
        {
            // The query collection compares names ignoring case and decoded, as YARP's matcher does.
            if (request.Query.TryGetValue(name, out StringValues values) && values.Count > 1)
            {
                return $"This route matches on the query parameter '{name}': send it once.";
            }
        }

        return null;
    }
}
