using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;
using Tribuo.Gateway.Tests.Infrastructure;
using Xunit;

namespace Tribuo.Gateway.Tests.Login;

/// <summary>
/// DESIGN §5 against a provider that misbehaves (<see cref="HostileIdp"/>): what its id_token says is read only
/// where the gateway maps it, never as the gateway's own role, company, SIRET, picture or user id; an unsigned
/// id_token is refused. The gateway runs on the embedded store with two providers on the same IdP: <c>evil</c>
/// (plain OIDC, LinkByEmail off) and <c>linker</c> (LinkByEmail on, fixed Company <c>acme</c>).
/// </summary>
public sealed class HostileProviderTests : IAsyncLifetime
{
    private HostileIdp _idp = null!;
    private EchoUpstream _upstream = null!;
    private GatewayApp _gateway = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _idp = await HostileIdp.StartAsync();
        _upstream = await EchoUpstream.StartAsync();
        var settings = new Dictionary<string, string?>
        {
            ["Gateway:Login:AllowedOrigins:0"] = "https://docs.tribuo.cloud",
            ["Gateway:Login:AllowedOrigins:1"] = "https://datapass.tribuo.cloud",
            ["Gateway:Login:QueryHandoffOrigins:0"] = "https://datapass.tribuo.cloud",
            ["Gateway:Login:Admins:0"] = "elliot@tribuo.fr",
        };
        _idp.Provider(settings, "evil");
        _idp.Provider(settings, "linker", linkByEmail: "true", company: "acme");
        _gateway = GatewayApp.Start(RoutesJson.With(_upstream.Address,
            RoutesJson.Route("docs", "/docs/{**rest}", "user", "\"Companies\": \"tribuo\"")), settings);
    }

    public async ValueTask DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _upstream.DisposeAsync();
        await _idp.DisposeAsync();
    }

    [Fact]
    public async Task Id_token_claims_named_like_the_gateways_own_do_not_reach_the_user()
    {
        _idp.Sub = "claims";
        _idp.Email = "claims@example.org";
        foreach (var claims in new[] { _idp.ExtraIdTokenClaims, _idp.ExtraUserinfoClaims })
        {
            claims["role"] = "admin";
            claims["company"] = "tribuo";
            claims["organization_siret"] = "13002526500013";
            claims["img_url"] = "https://evil.example/track.png";
            claims["preferred_user_id"] = "1";
        }

        var token = Claims(await LoginAsync("evil"));

        Assert.Equal("default", token.GetProperty("role").GetString());
        Assert.False(token.TryGetProperty("company", out var company) && company.ValueKind == JsonValueKind.String && company.GetString()!.Length > 0,
            $"company {company}");
        Assert.False(token.TryGetProperty("organization_siret", out _));
        Assert.NotEqual("https://evil.example/track.png", token.TryGetProperty("img_url", out var picture) ? picture.GetString() : null);
        Assert.NotEqual("1", token.GetProperty("id").GetString());
    }

    [Fact]
    public async Task A_providers_fixed_company_wins_over_its_id_tokens_company()
    {
        _idp.Sub = "company";
        _idp.Email = "company@example.org";
        _idp.ExtraIdTokenClaims["company"] = "tribuo";

        var redirect = await LoginAsync("linker");

        Assert.Equal("acme", Claims(redirect).GetProperty("company").GetString());
        using var client = _gateway.NewClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/docs/secret");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + Token(redirect));
        using var response = await client.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task A_preferred_user_id_claim_does_not_take_over_an_account_through_a_non_linking_provider()
    {
        _idp.Sub = "victim-sub";
        _idp.Email = "victim@acme.fr";
        var victim = Claims(await LoginAsync("linker")).GetProperty("id").GetString()!;

        _idp.Sub = "mallory-sub";
        _idp.EmailVerified = false;
        _idp.ExtraIdTokenClaims["preferred_user_id"] = victim;
        var redirect = await LoginAsync("evil");

        Assert.DoesNotContain("token=", redirect);
        Assert.Contains("error=link", redirect);
    }

    [Fact]
    public async Task An_unsigned_id_token_from_the_token_endpoint_is_refused()
    {
        _idp.Sub = "unsigned";
        _idp.Email = "unsigned@example.org";
        _idp.Alg = "none";

        var redirect = await LoginAsync("evil");

        Assert.DoesNotContain("token=", redirect);
        Assert.Contains("error=provider", redirect);
        _idp.Alg = "RS256";
        Assert.Contains("token=", await LoginAsync("evil"));
    }

    /// <summary>
    /// An outside probe: <c>" alice@acme.fr"</c> (unverified, through a provider that does not link) became a second user,
    /// whose X-Tribuo-User-Email every HTTP parser reads, trimmed, as alice's.
    /// </summary>
    [Theory]
    [InlineData(" victim@acme.fr")]
    [InlineData("victim@acme.fr  ")]
    [InlineData("\tvictim@acme.fr")]
    public async Task An_email_with_white_space_around_it_is_the_address_it_pads(string padded)
    {
        _idp.Sub = "victim-pad";
        _idp.Email = "victim@acme.fr";
        Assert.Contains("token=", await LoginAsync("linker"));

        _idp.Sub = "mallory-pad";
        _idp.Email = padded;
        _idp.EmailVerified = false;
        var redirect = await LoginAsync("evil");

        Assert.DoesNotContain("token=", redirect);
        Assert.Contains("error=link", redirect);
    }

    [Fact]
    public async Task An_email_with_white_space_inside_is_refused()
    {
        _idp.Sub = "inside";
        _idp.Email = "in side@acme.fr";

        var redirect = await LoginAsync("evil");

        Assert.DoesNotContain("token=", redirect);
        Assert.Contains("error=provider", redirect);
    }

    /// <summary>
    /// An outside probe: a known identity whose provider now asserted an e-mail in Admins (verified) made its account an
    /// admin, though the account's own e-mail was not in Admins (and another user may own the asserted one).
    /// </summary>
    [Fact]
    public async Task The_admin_role_follows_the_accounts_own_email_not_what_a_known_identity_asserts_later()
    {
        _idp.Sub = "changer";
        _idp.Email = "changer@acme.fr";
        Assert.Equal("default", Claims(await LoginAsync("evil")).GetProperty("role").GetString());

        _idp.Email = "elliot@tribuo.fr"; // in Admins, verified
        var again = Claims(await LoginAsync("evil"));

        Assert.Equal("default", again.GetProperty("role").GetString());
        Assert.Equal("changer@acme.fr", again.GetProperty("email").GetString());
    }

    [Theory]
    [InlineData("bool:true", "admin")]
    [InlineData("true", "admin")]
    [InlineData("TRUE", "admin")]
    [InlineData("bool:false", "default")]
    [InlineData("yes", "default")]
    [InlineData("1", "default")]
    [InlineData("number:1", "default")]
    public async Task Email_verified_is_boolean_true_or_the_string_true_in_any_case(string form, string role)
    {
        // Some providers (Cognito) send the claim as a string; README "Login hub".
        _idp.Sub = "verified-" + form;
        _idp.Email = "elliot@tribuo.fr";
        _idp.EmailVerified = form switch { "bool:true" => true, "bool:false" => false, "number:1" => 1, _ => form };

        var redirect = await LoginAsync("evil");

        Assert.Equal(role, Claims(redirect).GetProperty("role").GetString());
    }

    private HttpClient NewBrowser() =>
        new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = true, CookieContainer = new CookieContainer() }) { BaseAddress = _gateway.BaseAddress };

    /// <summary>A login through the IdP; the gateway's last redirect (or the status and body when it did not redirect).</summary>
    private async Task<string> LoginAsync(string provider, HttpClient? browser = null, string origin = "docs.tribuo.cloud")
    {
        var own = browser is null;
        browser ??= NewBrowser();
        try
        {
            using var start = await browser.GetAsync($"/auth/login-{provider}?origin={Uri.EscapeDataString(origin)}", Ct);
            Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);
            using var atIdp = await browser.GetAsync(start.Headers.Location, Ct);
            using var done = await browser.GetAsync(atIdp.Headers.Location, Ct);
            return done.Headers.Location?.ToString() ?? $"{(int)done.StatusCode} {await done.Content.ReadAsStringAsync(Ct)}";
        }
        finally
        {
            if (own)
            {
                browser.Dispose();
            }
        }
    }

    private static string Token(string redirect)
    {
        Assert.Contains("token=", redirect);
        return QueryHelpers.ParseQuery(new Uri(redirect).Query)["token"].Single()!;
    }

    private static JsonElement Claims(string redirect) => LoginBed.Payload(Token(redirect));
}
