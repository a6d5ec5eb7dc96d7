using Tribuo.Gateway.Keys;
using Tribuo.Gateway.Routes;
using Tribuo.Gateway.Users;
using Xunit;

namespace Tribuo.Gateway.Tests.Routes;

/// <summary>Who can reach what (<see cref="AccessRules"/>): the request path's rules applied to every key and role at once.</summary>
public sealed class AccessExplainerTests
{
    private static RoutePolicy Policy(AuthMode auth, string scopes = "", string roles = "", string companies = "") => new()
    {
        RouteId = "r",
        Auth = auth,
        Scopes = Split(scopes),
        Roles = Split(roles),
        Companies = Split(companies),
    };

    private static string[] Split(string words) => words.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    private static KeyHolder Key(string scopes, string? ownerRole = null, string? ownerCompany = null, bool ownerGone = false) => new(
        new KeyRecord { Id = "k", Name = "k", Sha256 = new string('a', 64), Scopes = Split(scopes), UserId = ownerRole is null && !ownerGone ? null : "u1" },
        ownerRole is null ? null : new User { Id = "u1", Email = "u1@acme.fr", Role = ownerRole, Company = ownerCompany });

    private static readonly Dictionary<string, (RoutePolicy Policy, KeyHolder Key, bool Reaches)> KeyCases = new()
    {
        ["public route: any key"] = (Policy(AuthMode.Public), Key("nothing"), true),
        ["key route, scope held"] = (Policy(AuthMode.Key, "docs:read api"), Key("api"), true),
        ["key route, scope missing"] = (Policy(AuthMode.Key, "docs:read"), Key("api"), false),
        ["key route, * key"] = (Policy(AuthMode.Key, "docs:read"), Key("*"), true),
        ["key route without scopes: only * keys"] = (Policy(AuthMode.Key), Key("api"), false),
        ["key route without scopes, * key"] = (Policy(AuthMode.Key), Key("*"), true),
        ["any route, scope held"] = (Policy(AuthMode.Any, "api"), Key("api"), true),
        ["user route, key of nobody"] = (Policy(AuthMode.User), Key("*"), false),
        ["user route, user's key (scopes not asked)"] = (Policy(AuthMode.User), Key("user", "default"), true),
        ["user route, owner's role refused"] = (Policy(AuthMode.User, roles: "admin"), Key("user", "default"), false),
        ["user route, owner's role admitted"] = (Policy(AuthMode.User, roles: "admin"), Key("user", "admin"), true),
        ["key route, user's key, company refused"] = (Policy(AuthMode.Key, "user", companies: "tribuo"), Key("user", "default", "acme"), false),
        ["key route, user's key, company admitted"] = (Policy(AuthMode.Key, "user", companies: "acme"), Key("user", "default", "acme"), true),
        ["owner deleted: nothing"] = (Policy(AuthMode.Key, "api"), Key("api", ownerGone: true), false),
    };

    public static TheoryData<string> Keys() => new(KeyCases.Keys);

    [Theory]
    [MemberData(nameof(Keys))]
    public void A_key_reaches_a_route_exactly_when_the_request_path_would_let_it(string @case)
    {
        var (policy, key, reaches) = KeyCases[@case];
        Assert.Equal(reaches, AccessRules.KeyReaches(policy, key));
    }

    [Fact]
    public void Roles_reach_user_and_any_routes_through_a_login_with_the_routes_companies_as_a_condition()
    {
        string[] roles = ["admin", "default", "ops"];
        Assert.Empty(AccessRules.Route(Policy(AuthMode.Key, "api"), [], roles).Roles);
        Assert.Equal(["admin", "default", "ops"], AccessRules.Route(Policy(AuthMode.User), [], roles).Roles.Select(r => r.ToString()));
        Assert.Equal(["admin (acme)"], AccessRules.Route(Policy(AuthMode.Any, "api", "admin", "acme"), [], roles).Roles.Select(r => r.ToString()));
        Assert.True(AccessRules.Route(Policy(AuthMode.Public), [], roles).Everybody);
    }

    [Fact]
    public void A_diff_names_the_keys_and_roles_that_gain_and_lose_the_route()
    {
        KeyHolder Named(string id, string scopes) => new(new KeyRecord { Id = id, Name = id, Sha256 = new string('b', 64), Scopes = Split(scopes) }, null);
        KeyHolder[] keys = [Named("reader", "docs:read"), Named("writer", "api"), Named("ops", "*")];
        string[] roles = ["admin", "default"];

        var before = AccessRules.Route(Policy(AuthMode.Any, "docs:read", "default"), keys, roles);
        var after = AccessRules.Route(Policy(AuthMode.Any, "api", "admin"), keys, roles);
        var diff = AccessRules.Diff(before, after);

        Assert.Equal(["writer"], diff.KeysGaining);
        Assert.Equal(["reader"], diff.KeysLosing);
        Assert.Equal(["admin"], diff.RolesGaining);
        Assert.Equal(["default"], diff.RolesLosing);
        Assert.Equal("keys gaining: writer; keys losing: reader; roles gaining: admin; roles losing: default", diff.ToString());
        Assert.True(AccessRules.Diff(after, after).IsEmpty);
    }

    [Fact]
    public void An_edit_changes_only_the_routes_access_fields_and_keeps_their_spelling()
    {
        const string file = """
            {
              // the operators' comment
              "Routes": {
                "docs": { "ClusterId": "up", "Match": { "Path": "/docs/{**rest}" }, "Metadata": { "auth": "key", "scopes": "docs:read", "x-owner": "docs team" } },
                "other": { "ClusterId": "up", "Match": { "Path": "/other" }, "Metadata": { "Auth": "public" } }
              },
              "Clusters": { "up": { "Destinations": { "a": { "Address": "http://127.0.0.1:5001/" } } } }
            }
            """;
        var edited = RoutesFileEditor.Apply(file, new RouteAccessEdit("DOCS", "api  docs:read", "", "acme", "10/1s"))!;
        var metadata = System.Text.Json.JsonDocument.Parse(edited).RootElement.GetProperty("Routes").GetProperty("docs").GetProperty("Metadata");

        Assert.Equal("api docs:read", metadata.GetProperty("scopes").GetString());
        Assert.Equal("acme", metadata.GetProperty("Companies").GetString());
        Assert.Equal("10/1s", metadata.GetProperty("RateLimit").GetString());
        Assert.Equal("key", metadata.GetProperty("auth").GetString());
        Assert.Equal("docs team", metadata.GetProperty("x-owner").GetString());
        Assert.False(metadata.TryGetProperty("Roles", out _));
        Assert.Contains("\"other\"", edited);
        Assert.Null(RoutesFileEditor.Apply(file, new RouteAccessEdit("missing", "api", "", "", "")));
    }
}
