namespace Tribuo.Gateway.Routes;

/// <summary><c>GET /gateway/config</c>: the routes in force, when they were loaded, and the last reload error.</summary>
internal static class ConfigApi
{
    public static void MapConfigApi(this RouteGroupBuilder admin) =>
        admin.MapGet("/gateway/config", (RoutesFileConfigProvider routes) =>
        {
            var snapshot = routes.Snapshot;
            var status = routes.Status;
            return Results.Ok(new
            {
                file = status.File,
                loadedAt = status.LoadedAt,
                lastError = status.LastError,
                lastErrorAt = status.LastErrorAt,
                routes = snapshot?.Routes.Select(r => new
                {
                    id = r.RouteId,
                    cluster = r.ClusterId,
                    path = r.Match.Path,
                    hosts = r.Match.Hosts,
                    order = r.Order,
                    auth = snapshot.Policies[r.RouteId].Auth.ToString().ToLowerInvariant(),
                    scopes = snapshot.Policies[r.RouteId].Scopes,
                    roles = snapshot.Policies[r.RouteId].Roles,
                    companies = snapshot.Policies[r.RouteId].Companies,
                    forwardAuthorization = snapshot.Policies[r.RouteId].ForwardAuthorization,
                }),
                clusters = snapshot?.Clusters.Select(c => new
                {
                    id = c.ClusterId,
                    destinations = c.Destinations?.ToDictionary(d => d.Key, d => d.Value.Address),
                }),
            });
        });
}
