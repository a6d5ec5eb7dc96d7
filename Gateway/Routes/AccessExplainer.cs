using Tribuo.Gateway.Keys;
using Tribuo.Gateway.Users;

namespace Tribuo.Gateway.Routes;

/// <summary>A key as access is judged: the record and, for a user's key, its owner as the store has them now.</summary>
internal sealed record KeyHolder(KeyRecord Key, User? Owner)
{
    /// <summary>A key tied to a user whose account no longer exists reaches nothing (the request path refuses it).</summary>
    public bool OwnerMissing => Key.UserId is not null && Owner is null;
}

/// <summary>A role that reaches a route through a login (session or Bearer token), and the companies it must belong to (empty: any).</summary>
internal sealed record RoleReach(string Role, IReadOnlyList<string> Companies)
{
    public override string ToString() => Companies.Count == 0 ? Role : $"{Role} ({string.Join(' ', Companies)})";
}

/// <summary>Who reaches one route: everybody (public), or these active keys and these roles.</summary>
internal sealed record RouteReach(RoutePolicy Policy, bool Everybody, IReadOnlyList<KeyRecord> Keys, IReadOnlyList<RoleReach> Roles);

/// <summary>What a change of a route's policy does: the keys and roles that gain or lose the route.</summary>
internal sealed record AccessDiff(IReadOnlyList<string> KeysGaining, IReadOnlyList<string> KeysLosing, IReadOnlyList<string> RolesGaining, IReadOnlyList<string> RolesLosing)
{
    public bool IsEmpty => KeysGaining.Count + KeysLosing.Count + RolesGaining.Count + RolesLosing.Count == 0;

    public override string ToString() => IsEmpty ? "no change of access" : string.Join("; ", new[]
    {
        List("keys gaining", KeysGaining), List("keys losing", KeysLosing), List("roles gaining", RolesGaining), List("roles losing", RolesLosing),
    }.Where(part => part.Length > 0));

    private static string List(string label, IReadOnlyList<string> items) => items.Count == 0 ? "" : $"{label}: {string.Join(' ', items)}";
}

/// <summary>
/// Who can reach what (DESIGN §9), for the console and <c>routes explain</c> alike: the rules of the request path
/// (<see cref="Proxy.PolicyStep"/>) applied to every active key and every known role instead of one caller. A key
/// reaches a <c>key</c>/<c>any</c> route when it holds <c>*</c> or one of the route's scopes (only <c>*</c> when the
/// route lists none); a <c>user</c> route only when it is a user's API token. A key tied to a user, and a role,
/// pass only when the route's <c>Roles</c> and <c>Companies</c> admit the user. Public routes admit everybody.
/// </summary>
internal static class AccessRules
{
    public static bool KeyReaches(RoutePolicy policy, KeyHolder holder)
    {
        if (policy.Auth == AuthMode.Public)
        {
            return true;
        }

        var key = holder.Key;
        if (holder.OwnerMissing || (policy.Auth == AuthMode.User && key.UserId is null))
        {
            return false;
        }

        if (policy.Auth != AuthMode.User && !HoldsScopeFor(policy, key.Scopes))
        {
            return false;
        }

        return holder.Owner is not { } owner || Proxy.PolicyStep.UserRefusal(policy, owner.Role, owner.Company) is null;
    }

    /// <summary>The role reaches the route through a login, with the route's companies as a condition; null when it does not.</summary>
    public static RoleReach? RoleReaches(RoutePolicy policy, string role) =>
        policy.Auth switch
        {
            AuthMode.Public => new RoleReach(role, []),
            AuthMode.User or AuthMode.Any when policy.Roles.Count == 0 || policy.Roles.Contains(role, StringComparer.Ordinal) => new RoleReach(role, policy.Companies),
            _ => null,
        };

    public static RouteReach Route(RoutePolicy policy, IEnumerable<KeyHolder> activeKeys, IEnumerable<string> roles) =>
        new(policy,
            policy.Auth == AuthMode.Public,
            activeKeys.Where(k => KeyReaches(policy, k)).Select(k => k.Key).OrderBy(k => k.Id, StringComparer.Ordinal).ToArray(),
            roles.Select(r => RoleReaches(policy, r)).OfType<RoleReach>().ToArray());

    public static AccessDiff Diff(RouteReach before, RouteReach after)
    {
        var keysBefore = before.Keys.Select(k => k.Id).ToHashSet(StringComparer.Ordinal);
        var keysAfter = after.Keys.Select(k => k.Id).ToHashSet(StringComparer.Ordinal);
        var rolesBefore = before.Roles.Select(r => r.ToString()).ToHashSet(StringComparer.Ordinal);
        var rolesAfter = after.Roles.Select(r => r.ToString()).ToHashSet(StringComparer.Ordinal);
        return new AccessDiff(
            keysAfter.Except(keysBefore).Order(StringComparer.Ordinal).ToArray(),
            keysBefore.Except(keysAfter).Order(StringComparer.Ordinal).ToArray(),
            rolesAfter.Except(rolesBefore).Order(StringComparer.Ordinal).ToArray(),
            rolesBefore.Except(rolesAfter).Order(StringComparer.Ordinal).ToArray());
    }

    private static bool HoldsScopeFor(RoutePolicy policy, IReadOnlyList<string> held) =>
        held.Contains("*", StringComparer.Ordinal) || policy.Scopes.Any(scope => held.Contains(scope, StringComparer.Ordinal));
}

/// <summary>
/// <see cref="AccessRules"/> over the stores: every active key (with its owner) and every role the gateway knows of
/// (<c>default</c>, <c>admin</c>, the roles of <c>Gateway:Roles</c> and <c>Gateway:Console:Roles</c>, and those the
/// routes name). One class for the console and the CLI, so both give the same answers.
/// </summary>
internal sealed class AccessExplainer(KeyService keys, IUserStore users, IConfiguration configuration, TimeProvider time)
{
    /// <summary>The facts a set of answers is computed from, read once.</summary>
    internal sealed record Facts(IReadOnlyList<KeyHolder> ActiveKeys, IReadOnlyList<string> Roles);

    public async Task<Facts> ReadAsync(RoutesSnapshot routes, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var owners = new Dictionary<string, User?>(StringComparer.Ordinal);
        var holders = new List<KeyHolder>();
        foreach (var key in await keys.ListAsync(cancellationToken))
        {
            if (key.StatusAt(now) != KeyStatus.Active)
            {
                continue;
            }

            User? owner = null;
            if (key.UserId is { } userId && !owners.TryGetValue(userId, out owner))
            {
                owner = owners[userId] = await users.GetAsync(userId, cancellationToken);
            }

            holders.Add(new KeyHolder(key, owner));
        }

        return new Facts(holders, KnownRoles(routes));
    }

    public IReadOnlyList<string> KnownRoles(RoutesSnapshot routes) =>
        new[] { UserRoles.Default, UserRoles.Admin }
            .Concat(configuration.GetSection("Gateway:Roles").GetChildren().Select(c => c.Key))
            .Concat(Hosting.SettingValues.List(configuration, "Gateway:Console:Roles"))
            .Concat(routes.Policies.Values.SelectMany(p => p.Roles))
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToArray();

    public static RouteReach Route(RoutePolicy policy, Facts facts) => AccessRules.Route(policy, facts.ActiveKeys, facts.Roles);

    /// <summary>The routes a key reaches (in the file's order); none when the key is not active.</summary>
    public async Task<IReadOnlyList<RoutePolicy>> RoutesOfKeyAsync(RoutesSnapshot routes, KeyRecord key, CancellationToken cancellationToken = default)
    {
        if (key.StatusAt(time.GetUtcNow()) != KeyStatus.Active)
        {
            return [];
        }

        var holder = new KeyHolder(key, key.UserId is { } userId ? await users.GetAsync(userId, cancellationToken) : null);
        return routes.Routes.Select(r => routes.Policies[r.RouteId]).Where(p => AccessRules.KeyReaches(p, holder)).ToArray();
    }
}
