using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

using Tribuo.Gateway.Tests.Infrastructure;

namespace Tribuo.Gateway.Tests.Login;

/// <summary>
/// A stand-in for Zoho Accounts as an OpenID Connect provider (the real one is not reachable from here):
/// discovery at <c>/.well-known/openid-configuration</c>, a JWKS, the authorization and token endpoints with
/// PKCE, RS256 id_tokens echoing the nonce, and userinfo; the account is a ZUID with Zoho's claims.
/// Misbehaviours are switched on per test.
/// </summary>
internal sealed class ZohoStandIn : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly RsaSecurityKey _key = new(RSA.Create(2048)) { KeyId = "zoho-test-key" };
    private readonly ConcurrentDictionary<string, (string Nonce, string Challenge)> _codes = new();

    public const string ClientId = "zoho-client";
    public const string ClientSecret = "zoho-secret";

    private ZohoStandIn(WebApplication app) => _app = app;

    public string AccountsUrl { get; private set; } = "";

    /// <summary>The account the next login returns.</summary>
    public string Zuid { get; set; } = "20078284501";
    public string Email { get; set; } = "elliot.thiebaut@tribuo.fr";
    public bool? EmailVerified { get; set; } = true;

    /// <summary>Leave <c>iat</c> out of the id_token (OIDC Core §2 requires it).</summary>
    public bool OmitIssuedAt { get; set; }

    /// <summary>Put another nonce than the authorization request's in the id_token.</summary>
    public bool WrongNonce { get; set; }

    public string? LastTokenRequestSecret { get; private set; }
    public string? LastCodeVerifier { get; private set; }

    public static async Task<ZohoStandIn> StartAsync(CancellationToken ct)
    {
        var standIn = new ZohoStandIn(StandInIdpDocuments.NewApp());
        standIn.Map();
        standIn.AccountsUrl = await StandInIdpDocuments.StartAsync(standIn._app, ct);
        return standIn;
    }

    public Dictionary<string, string?> GatewaySettings() => new()
    {
        ["Gateway:Login:Providers:zoho:Type"] = "zoho",
        ["Gateway:Login:Providers:zoho:AccountsUrl"] = AccountsUrl,
        ["Gateway:Login:Providers:zoho:ClientId"] = ClientId,
        ["Gateway:Login:Providers:zoho:ClientSecret"] = ClientSecret,
        ["Gateway:Login:Providers:zoho:Company"] = "tribuo",
    };

    private void Map()
    {
        _app.MapGet("/.well-known/openid-configuration", () => StandInIdpDocuments.Discovery(AccountsUrl,
            "/oauth/v2/auth", "/oauth/v2/token", "/oauth/v2/userinfo", "/oauth/v2/keys", ["RS256"], ["openid", "email", "profile"]));
        _app.MapGet("/oauth/v2/keys", () => StandInIdpDocuments.Jwks(_key));
        _app.MapGet("/oauth/v2/auth", (HttpContext c) =>
        {
            var q = c.Request.Query;
            if (q["scope"] != "openid email profile" || q["code_challenge_method"] != "S256" || q["client_id"] != ClientId || string.IsNullOrEmpty(q["nonce"]))
            {
                return Results.BadRequest("unexpected authorization request");
            }

            var code = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
            _codes[code] = (q["nonce"]!, q["code_challenge"]!);
            return Results.Redirect($"{q["redirect_uri"]}?code={code}&state={Uri.EscapeDataString(q["state"]!)}&location=eu&accounts-server={Uri.EscapeDataString(AccountsUrl)}");
        });
        _app.MapPost("/oauth/v2/token", async (HttpContext c) =>
        {
            var form = await c.Request.ReadFormAsync();
            LastTokenRequestSecret = form["client_secret"];
            LastCodeVerifier = form["code_verifier"];
            if (!_codes.TryRemove(form["code"].ToString(), out var issued) || form["client_secret"] != ClientSecret
                || Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(LastCodeVerifier ?? ""))) != issued.Challenge)
            {
                return Results.Json(new { error = "invalid_code" }, statusCode: 400);
            }

            return Results.Json(new { access_token = "zoho-access", token_type = "Bearer", expires_in = 3600, id_token = IdToken(issued.Nonce) });
        });
        _app.MapGet("/oauth/v2/userinfo", (HttpContext c) =>
            c.Request.Headers.Authorization != "Bearer zoho-access"
                ? Results.Unauthorized()
                : Results.Json(Profile()));
    }

    private Dictionary<string, object> Profile()
    {
        var profile = new Dictionary<string, object>
        {
            ["sub"] = Zuid,
            ["email"] = Email,
            ["name"] = "Elliot Thiebaut",
            ["given_name"] = "Elliot",
            ["family_name"] = "Thiebaut",
            ["picture"] = "https://profile.zoho.eu/unused.png",
        };
        if (EmailVerified is { } verified)
        {
            profile["email_verified"] = verified;
        }

        return profile;
    }

    private string IdToken(string nonce)
    {
        var now = DateTimeOffset.UtcNow;
        var claims = Profile();
        claims["nonce"] = WrongNonce ? "attacker-chosen" : nonce;
        claims["exp"] = (now + TimeSpan.FromMinutes(10)).ToUnixTimeSeconds();
        if (!OmitIssuedAt)
        {
            claims["iat"] = now.ToUnixTimeSeconds();
        }

        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = AccountsUrl,
            Audience = ClientId,
            Claims = claims,
            SigningCredentials = new SigningCredentials(_key, SecurityAlgorithms.RsaSha256),
        });
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}
