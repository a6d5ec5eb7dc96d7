using System.Text.Json.Serialization;

namespace Tribuo.Gateway.Routes;

/// <summary><c>GET /gateway/config</c>: the routes in force, when they were loaded, and the last reload error.</summary>
internal static class ConfigApi
{
    public static void MapConfigApi(this RouteGroupBuilder admin) =>
        admin.MapGet("/gateway/config", (RoutesFileConfigProvider routes) => Results.Ok(ConfigView.From(routes.Status, routes.Snapshot)));
}

/// <summary>What <c>GET /gateway/config</c> answers (named records, not anonymous objects: serialized without reflection).</summary>
internal sealed record ConfigView(string? File, DateTimeOffset? LoadedAt, string? LastError, DateTimeOffset? LastErrorAt,
    IReadOnlyList<ConfigView.Route>? Routes, IReadOnlyList<ConfigView.Cluster>? Clusters)
{
    /// <summary>
    /// A route as it matches and what it asks. Methods, header and query rules are shown too (an outside probe: a route
    /// matched on a header looked here like a plain route of its path).
    /// </summary>
    internal sealed record Route(string Id, string Cluster, string? Path, IReadOnlyList<string>? Hosts, IReadOnlyList<string>? Methods,
        IReadOnlyList<MatchRule>? Headers, IReadOnlyList<MatchRule>? QueryParameters, int? Order, string Auth,
        IReadOnlyList<string> Scopes, IReadOnlyList<string> Roles, IReadOnlyList<string> Companies, bool ForwardAuthorization, string? RateLimit);

    internal sealed record MatchRule(string Name, string Mode, IReadOnlyList<string>? Values, bool IsCaseSensitive);

    internal sealed record Cluster(string Id, Dictionary<string, string>? Destinations);

    public static ConfigView From(RoutesStatus status, RoutesSnapshot? snapshot) => new(
        status.File, status.LoadedAt, status.LastError, status.LastErrorAt,
        snapshot?.Routes.Select(r =>
        {
            var policy = snapshot.Policies[r.RouteId];
            var match = r.Match;
            return new Route(r.RouteId, r.ClusterId!, match.Path, match.Hosts, match.Methods,
                match.Headers?.Select(h => new MatchRule(h.Name, h.Mode.ToString(), h.Values, h.IsCaseSensitive)).ToArray(),
                match.QueryParameters?.Select(q => new MatchRule(q.Name, q.Mode.ToString(), q.Values, q.IsCaseSensitive)).ToArray(),
                r.Order, policy.Auth.ToString().ToLowerInvariant(), policy.Scopes, policy.Roles, policy.Companies, policy.ForwardAuthorization,
                policy.RateLimit?.Text);
        }).ToArray(),
        snapshot?.Clusters.Select(c => new Cluster(c.ClusterId, c.Destinations?.ToDictionary(d => d.Key, d => d.Value.Address))).ToArray());
}

/// <summary>Generated at build time, added to the HTTP JSON options' resolvers (Native AOT has no reflection fallback).</summary>
[JsonSerializable(typeof(ConfigView))]
internal sealed partial class ConfigJsonContext : JsonSerializerContext;
