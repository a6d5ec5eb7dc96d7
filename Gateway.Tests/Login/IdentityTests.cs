using System.Net;
using Dapper;
using Npgsql;
using Tribuo.Gateway.Tests.Infrastructure;
using Xunit;

namespace Tribuo.Gateway.Tests.Login;

/// <summary>
/// Item 2 of issue 8, DESIGN §5 "Who is who", against the real oidc-provider: a person is their (provider,
/// sub); an e-mail links a new identity to an existing user only when verified and from a provider with
/// LinkByEmail; an unverified e-mail never earns admin; a linked identity never rewrites the profile; users
/// from before identities are linked on their next login through the provider they came from.
/// </summary>
public sealed class IdentityTests(OidcProviderFixture oidc, RedisFixture redis, PostgresFixture postgres)
    : IClassFixture<OidcProviderFixture>, IClassFixture<RedisFixture>, IClassFixture<PostgresFixture>, IAsyncLifetime
{
    private LoginBed _bed = null!;
    private GatewayApp _gateway = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _bed = await LoginBed.StartAsync(oidc.RequireProvider(), redis.RequireServer(), await postgres.CreateExtraDatabaseAsync());
        _gateway = await _bed.StartGatewayAsync();
    }

    public ValueTask DisposeAsync() => _bed.DisposeAsync();

    private async Task<Uri> LoginAsync(string login, string provider)
    {
        using var browser = LoginBed.NewBrowser(_gateway);
        return await _bed.LoginAsync(browser, login, provider: provider);
    }

    private async Task<string> UserIdAsync(string login, string provider)
    {
        var redirect = await LoginAsync(login, provider);
        Assert.Contains("token=", redirect.ToString());
        return LoginBed.Payload(LoginBed.TokenFrom(redirect)).GetProperty("id").GetString()!;
    }

    [Fact]
    public async Task Another_providers_identity_asserting_a_known_email_does_not_get_that_account()
    {
        var victim = await UserIdAsync("victim@acme.fr", "datapass");

        var redirect = await LoginAsync("mallory~victim@acme.fr", "partner");

        Assert.DoesNotContain("token=", redirect.ToString());
        Assert.Contains("error=link", redirect.ToString());
        await using var db = new NpgsqlConnection(_bed.Postgres);
        Assert.Equal(0, await db.ExecuteScalarAsync<int>("SELECT count(*) FROM user_identities WHERE provider = 'partner'"));
        Assert.Equal(victim, await UserIdAsync("victim@acme.fr", "datapass"));
    }

    [Fact]
    public async Task An_unverified_email_neither_links_nor_earns_the_configured_admin_role()
    {
        await UserIdAsync("dora@acme.fr", "datapass");
        var refused = await LoginAsync("eve~dora@acme.fr!unverified", "datapass-post");
        Assert.DoesNotContain("token=", refused.ToString());
        Assert.Contains("error=link", refused.ToString());

        // boss@acme.fr is in Gateway:Login:Admins; asserted unverified, it is an ordinary account.
        var redirect = await LoginAsync("boss@acme.fr!unverified", "datapass");
        Assert.Equal("default", LoginBed.Payload(LoginBed.TokenFrom(redirect)).GetProperty("role").GetString());
    }

    [Fact]
    public async Task A_verified_email_from_a_linking_provider_joins_the_account_without_rewriting_its_profile()
    {
        var alice = await UserIdAsync("alice.dupont@acme.fr", "datapass");

        var redirect = await LoginAsync("other.name~alice.dupont@acme.fr", "datapass-post");

        var claims = LoginBed.Payload(LoginBed.TokenFrom(redirect));
        Assert.Equal(alice, claims.GetProperty("id").GetString());
        Assert.Equal("Alice Dupont", claims.GetProperty("name").GetString());
        await using var db = new NpgsqlConnection(_bed.Postgres);
        Assert.Equal("Alice Dupont", await db.ExecuteScalarAsync<string>("SELECT name FROM users WHERE id = @alice", new { alice }));
        Assert.Equal(2, await db.ExecuteScalarAsync<int>("SELECT count(*) FROM user_identities WHERE user_id = @alice", new { alice }));
    }

    [Fact]
    public async Task A_user_from_before_identities_is_linked_on_the_next_login_through_their_provider()
    {
        await using var db = new NpgsqlConnection(_bed.Postgres);
        // Written as the previous version did: a user and its DataPass mark, no identity. The provider does
        // not vouch for the e-mail, yet the DataPass subject is the one this user came with.
        await db.ExecuteAsync("""
            INSERT INTO users (id, email, name, role, company) VALUES ('424242424242424242', 'carol@acme.fr', 'Carol', 'admin', 'acme');
            INSERT INTO datapass_users (id, user_id) VALUES ('carol@acme.fr!unverified', '424242424242424242');
            """);

        Assert.Equal("424242424242424242", await UserIdAsync("carol@acme.fr!unverified", "datapass"));
        Assert.Equal(1, await db.ExecuteScalarAsync<int>("SELECT count(*) FROM user_identities WHERE user_id = '424242424242424242' AND provider = 'datapass'"));
        Assert.Equal("admin", await db.ExecuteScalarAsync<string>("SELECT role FROM users WHERE id = '424242424242424242'"));
    }

    [Fact]
    public async Task The_permission_page_names_the_account_and_offers_to_log_out_or_switch()
    {
        using var browser = LoginBed.NewBrowser(_gateway);
        await _bed.LoginAsync(browser, "perm.user@acme.fr");

        using var page = await browser.GetAsync($"/login?origin={Uri.EscapeDataString(LoginBed.DocsOrigin)}&error=permission", Ct);

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync(Ct);
        Assert.Contains("You are logged in as <strong>Perm User</strong> (perm.user@acme.fr)", html);
        Assert.Contains("action=\"/auth/logout?origin=", html);
        Assert.Contains("/auth/login-datapass?origin=", html);
        // No account here has a pre-SSO password, and LegacyPasswords is not set: no password form.
        Assert.DoesNotContain("name=\"password\"", html);
    }
}
