using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Tribuo.Gateway.Login;
using Tribuo.Gateway.Tests.Infrastructure;
using Tribuo.Gateway.Tokens;
using Tribuo.Gateway.Users;
using Xunit;

namespace Tribuo.Gateway.Tests.Login;

/// <summary>Hostile origins never receive a token; forged tokens are refused everywhere; legacy passwords.</summary>
public sealed class OriginAndTokenSecurityTests : IAsyncLifetime
{
    private GatewayApp _gateway = null!;
    private EchoUpstream _upstream = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _upstream = await EchoUpstream.StartAsync();
        _gateway = GatewayApp.Start(RoutesJson.With(_upstream.Address, RoutesJson.Route("docs", "/docs/{**rest}", "user")), new Dictionary<string, string?>
        {
            ["Gateway:Login:AllowedOrigins:0"] = "https://docs.tribuo.cloud",
            ["Gateway:Login:AllowedOrigins:1"] = "http://localhost:3000",
            ["Gateway:Login:PasswordFailureLimit"] = "3",
            ["Gateway:Login:LegacyPasswords"] = "true",
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    /// <summary>
    /// Open-redirect shapes from public advisories (oauth2-proxy GHSA-5m6c-jp6f-2vcv, GHSA-4mf2-f3wh-gvf2,
    /// GHSA-rm6v-4c3q-rrvf; Keycloak CVE-2023-6134/CVE-2024-8883 redirect_uri bypasses; Pomerium
    /// GHSA-xgpm-fm8r-rm2c): userinfo, backslashes, encoded separators, look-alike hosts, other schemes.
    /// </summary>
    public static TheoryData<string> HostileOrigins => new()
    {
        "https://evil.com",
        "https://docs.tribuo.cloud.evil.com",
        "https://evil.com/docs.tribuo.cloud",
        "https://docs.tribuo.cloud@evil.com",
        "https://docs.tribuo.cloud:443@evil.com",
        "https://evil.com\\@docs.tribuo.cloud",
        "https://evil.com#@docs.tribuo.cloud",
        "https://evil.com?@docs.tribuo.cloud",
        "https:\\\\evil.com",
        "/\\evil.com",
        "//evil.com",
        "///evil.com",
        "\\\\evil.com",
        "https:evil.com",
        "https:/evil.com",
        "https://docs.tribuo.cloud%2f@evil.com",
        "https://docs.tribuo.cloud%40evil.com",
        "https://docs.tribuo.cloud%00.evil.com",
        "https://docs.tribuo.cloud%2eevil.com",
        "https://docs.tribuo.cloud\t.evil.com",
        " https://docs.tribuo.cloud",
        "https://docs.tribuo.cloud\n",
        "https://docs.tribuo.cloud\r\nLocation: https://evil.com",
        "https://dоcs.tribuo.cloud",
        "https://xn--dcs-tdd.tribuo.cloud",
        "http://docs.tribuo.cloud",
        "https://docs.tribuo.cloud:8443",
        "https://localhost:3000",
        "http://localhost:3001",
        "javascript:alert(document.cookie)",
        "javascript://docs.tribuo.cloud/%0aalert(1)",
        "data:text/html,<script>alert(1)</script>",
        "ftp://docs.tribuo.cloud",
        "docs.tribuo.cloud.evil.com",
        "evil.com",
        "docs.tribuo.cloud@evil.com",
        "",
        "null",
        "https://",
        "https://[::1]",
        "https://127.0.0.1",
    };

    [Theory]
    [MemberData(nameof(HostileOrigins))]
    public async Task Hostile_origins_get_an_error_page_and_never_a_redirect(string origin)
    {
        using var client = _gateway.NewClient();
        var encoded = Uri.EscapeDataString(origin);

        foreach (var path in new[] { $"/login?origin={encoded}", $"/auth/login-datapass?origin={encoded}" })
        {
            using var response = await client.GetAsync(path, Ct);
            Assert.True(response.StatusCode is HttpStatusCode.BadRequest, $"{path}: {(int)response.StatusCode}");
            Assert.Null(response.Headers.Location);
        }

        using var password = await client.PostAsync("/auth/login-password",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["origin"] = origin, ["email"] = "a@b.c", ["password"] = "x" }), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, password.StatusCode);
        Assert.Null(password.Headers.Location);
    }

    [Theory]
    [InlineData("docs.tribuo.cloud", "https://docs.tribuo.cloud/")]
    [InlineData("https://docs.tribuo.cloud/guide?x=1#frag", "https://docs.tribuo.cloud/guide?x=1")]
    [InlineData("HTTPS://DOCS.tribuo.cloud/a", "https://docs.tribuo.cloud/a")]
    [InlineData("localhost:3000", "http://localhost:3000/")]
    [InlineData("http://localhost:3000/app", "http://localhost:3000/app")]
    public void Allowed_origins_are_parsed_and_rebuilt_from_their_parts(string input, string expected)
    {
        var origins = _gateway.Services.GetRequiredService<AllowedOrigins>();
        Assert.Equal(expected, origins.Check(input, out var reason)?.Url);
        Assert.Equal("", reason);
    }

    [Fact]
    public async Task The_login_page_lists_providers_and_is_locked_down()
    {
        using var client = _gateway.NewClient();
        using var response = await client.GetAsync("/login?origin=docs.tribuo.cloud&error=permission", Ct);
        var html = await response.Content.ReadAsStringAsync(Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("does not have access", html);
        Assert.Contains("name=\"password\"", html);
        Assert.Contains("default-src 'none'", response.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        Assert.DoesNotContain("<script", html);

        using var missing = await client.GetAsync("/login", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Contains("no origin", await missing.Content.ReadAsStringAsync(Ct));
    }

    private async Task<(string Token, User User)> IssueAsync(string email = "tess@acme.fr")
    {
        var users = _gateway.Services.GetRequiredService<IUserStore>();
        var user = await users.CreateAsync(new ExternalLogin { Provider = "test", Subject = email, Email = email, Name = "Tess" }, "123456789012345678", null, Ct)
            ?? (await users.FindByEmailAsync(email, Ct))!;
        return (_gateway.Services.GetRequiredService<TokenService>().Issue(user), user);
    }

    private static string B64(string json) => Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(json));

    private static string Hs256(string header, string payload, byte[] key)
    {
        var signingInput = $"{B64(header)}.{B64(payload)}";
        return signingInput + "." + Base64UrlEncoder.Encode(HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(signingInput)));
    }

    private string Es256(ECDsa key, string kid, Dictionary<string, object> claims, Dictionary<string, object>? headerClaims = null) =>
        new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Claims = claims,
            AdditionalHeaderClaims = headerClaims,
            SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(key) { KeyId = kid }, SecurityAlgorithms.EcdsaSha256),
        });

    [Fact]
    public async Task Forged_tokens_are_refused_by_check_token_and_as_Bearer()
    {
        var (token, _) = await IssueAsync();
        var parts = token.Split('.');
        var header = Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(parts[0]));
        var payload = Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(parts[1]));
        var claims = System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, object>>(payload)!;
        var kid = new JsonWebToken(token).Kid;
        var signingKeys = _gateway.Services.GetRequiredService<SigningKeys>();
        var publicJwk = System.Text.Json.JsonSerializer.Serialize(signingKeys.PublicKeys.Keys[0]);
        using var attacker = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var attackerJwk = JsonWebKeyConverter.ConvertFromECDsaSecurityKey(new ECDsaSecurityKey(attacker) { KeyId = "attacker" });
        var adminClaims = new Dictionary<string, object>(claims.Select(c => KeyValuePair.Create(c.Key, (object)c.Value.ToString()!)))
        {
            ["role"] = "admin",
            ["iat"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["exp"] = DateTimeOffset.UtcNow.AddDays(1).ToUnixTimeSeconds(),
        };

        await using var otherGateway = GatewayApp.Start("""{ "Routes": {}, "Clusters": {} }""");
        var otherUser = (await otherGateway.Services.GetRequiredService<IUserStore>().CreateAsync(
            new ExternalLogin { Provider = "test", Subject = "x", Email = "tess@acme.fr" }, "1", null, Ct))!;
        var fromAnotherGateway = otherGateway.Services.GetRequiredService<TokenService>().Issue(otherUser);

        var expired = Es256(signingKeys.Current.ECDsa, kid, new Dictionary<string, object>(adminClaims)
        {
            ["iss"] = "urn:tribuo:gateway", ["aud"] = "tribuo",
            ["iat"] = DateTimeOffset.UtcNow.AddDays(-15).ToUnixTimeSeconds(),
            ["exp"] = DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds(),
        });

        var forgeries = new Dictionary<string, string>
        {
            ["alg none"] = $"{B64("{\"alg\":\"none\",\"typ\":\"JWT\"}")}.{parts[1]}.",
            ["alg none, no dot"] = $"{B64("{\"alg\":\"none\"}")}.{parts[1]}",
            ["altered payload"] = $"{parts[0]}.{B64(payload.Replace("\"default\"", "\"admin\""))}.{parts[2]}",
            ["stripped signature"] = $"{parts[0]}.{parts[1]}.",
            ["truncated signature"] = $"{parts[0]}.{parts[1]}.{parts[2][..20]}",
            ["HS256 keyed with the public JWK"] = Hs256(header.Replace("ES256", "HS256"), payload, Encoding.UTF8.GetBytes(publicJwk)),
            ["HS256 keyed with the public key bytes"] = Hs256(header.Replace("ES256", "HS256"), payload,
                signingKeys.Current.ECDsa.ExportSubjectPublicKeyInfo()),
            ["foreign kid"] = Es256(attacker, "attacker", adminClaims),
            ["own kid, foreign key"] = Es256(attacker, kid, adminClaims),
            ["jku to an attacker's keys"] = Es256(attacker, "attacker", adminClaims, new() { ["jku"] = "https://evil.com/jwks.json" }),
            ["x5u to an attacker's certificate"] = Es256(attacker, "attacker", adminClaims, new() { ["x5u"] = "https://evil.com/cert.pem" }),
            ["embedded jwk"] = Es256(attacker, "attacker", adminClaims, new() { ["jwk"] = System.Text.Json.JsonSerializer.Deserialize<object>(System.Text.Json.JsonSerializer.Serialize(attackerJwk))! }),
            ["another gateway's keys"] = fromAnotherGateway,
            ["expired"] = expired,
            ["garbage"] = "not-a-jwt",
        };

        using var client = _gateway.NewClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/auth/check-token/{token}", Ct)).StatusCode);
        foreach (var (name, forged) in forgeries)
        {
            using var check = await client.GetAsync($"/auth/check-token/{Uri.EscapeDataString(forged)}", Ct);
            Assert.True(check.StatusCode == HttpStatusCode.Unauthorized, $"check-token accepted: {name} ({(int)check.StatusCode})");

            using var request = new HttpRequestMessage(HttpMethod.Get, "/docs/x");
            request.Headers.TryAddWithoutValidation("Authorization", $"Bearer {forged}");
            using var bearer = await client.SendAsync(request, Ct);
            Assert.True(bearer.StatusCode == HttpStatusCode.Unauthorized, $"Bearer accepted: {name} ({(int)bearer.StatusCode})");
        }

        Assert.DoesNotContain(_upstream.Received, r => r.Path == "/docs/x" && r.Header("X-Tribuo-User-Role") == "admin");
    }

    [Fact]
    public async Task A_new_signing_key_does_not_log_anybody_out()
    {
        var (before, _) = await IssueAsync();
        var keys = _gateway.Services.GetRequiredService<SigningKeys>();
        var oldKid = keys.Current.KeyId;

        var newKid = await keys.RotateAsync(Ct);
        var (after, _) = await IssueAsync();

        Assert.NotEqual(oldKid, newKid);
        Assert.Equal(newKid, new JsonWebToken(after).Kid);
        using var client = _gateway.NewClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/auth/check-token/{before}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/auth/check-token/{after}", Ct)).StatusCode);
        var jwks = await client.GetStringAsync("/.well-known/jwks.json", Ct);
        Assert.Contains(oldKid, jwks);
        Assert.Contains(newKid, jwks);
        Assert.DoesNotContain("\"d\"", jwks); // never the private part
    }

    [Fact]
    public async Task Legacy_accounts_log_in_with_their_password_and_guessing_is_limited()
    {
        var (_, user) = await IssueAsync("legacy@acme.fr");
        await _gateway.Services.GetRequiredService<IUserStore>().SetLegacyPasswordHashAsync(user.Id, LegacyPasswordHash.Create("correct horse", "s4lt", 10_000), Ct);
        using var client = _gateway.NewClient();
        FormUrlEncodedContent Form(string password) => new(new Dictionary<string, string>
        {
            ["origin"] = "https://docs.tribuo.cloud/home", ["email"] = "LEGACY@acme.fr", ["password"] = password,
        });

        using (var ok = await client.PostAsync("/auth/login-password", Form("correct horse"), Ct))
        {
            Assert.Equal(HttpStatusCode.Redirect, ok.StatusCode);
            Assert.StartsWith("https://docs.tribuo.cloud/home?token=", ok.Headers.Location!.ToString());
        }

        for (var i = 0; i < 3; i++)
        {
            using var wrong = await client.PostAsync("/auth/login-password", Form("wrong"), Ct);
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
            Assert.Contains("not correct", await wrong.Content.ReadAsStringAsync(Ct));
        }

        using var locked = await client.PostAsync("/auth/login-password", Form("correct horse"), Ct);
        Assert.Equal(HttpStatusCode.TooManyRequests, locked.StatusCode);
        Assert.Null(locked.Headers.Location);

        using var unknown = await client.PostAsync("/auth/login-password", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["origin"] = "https://docs.tribuo.cloud", ["email"] = "nobody@acme.fr", ["password"] = "x",
        }), Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        Assert.DoesNotContain(_gateway.Logs, line => line.Contains("correct horse"));
    }

    [Theory]
    [InlineData("correct horse", "pbkdf2_sha256$10000$s4lt$", true)]
    [InlineData("wrong", "pbkdf2_sha256$10000$s4lt$", false)]
    [InlineData("correct horse", "md5$xyz", false)]
    [InlineData("correct horse", "", false)]
    public void Legacy_hashes_follow_the_documented_format(string password, string storedPrefix, bool expected)
    {
        var stored = storedPrefix.StartsWith("pbkdf2", StringComparison.Ordinal)
            ? LegacyPasswordHash.Create("correct horse", "s4lt", 10_000)
            : storedPrefix;
        Assert.Equal(expected, LegacyPasswordHash.Verify(password, stored));
    }
}
