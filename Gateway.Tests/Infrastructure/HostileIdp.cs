using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Tribuo.Gateway.Tests.Infrastructure;

/// <summary>
/// A hostile (or careless) OpenID Connect provider, in process: discovery, JWKS, authorize (approves at once,
/// any client_id), token and userinfo. The account it answers with and how it misbehaves (unsigned id_token,
/// extra claims, wrong issuer...) are set per test, which the real oidc-provider (OidcProvider) cannot do.
/// </summary>
public sealed class HostileIdp : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly RsaSecurityKey _key = new(RSA.Create(2048)) { KeyId = "idp-key" };
    private readonly ConcurrentDictionary<string, (string ClientId, string? Nonce)> _codes = new();
    public const string Secret = "idp-client-secret-0123456789abcdef0123456789";

    private HostileIdp(WebApplication app) => _app = app;
    public string Url { get; private set; } = "";

    public string Sub { get; set; } = "sub-1";
    public string Email { get; set; } = "someone@acme.fr";
    public object? EmailVerified { get; set; } = true;
    /// <summary>"RS256" (default), "none", "HS256" (keyed with the client secret).</summary>
    public string Alg { get; set; } = "RS256";
    public string? IssuerOverride { get; set; }
    public object? AudienceOverride { get; set; }
    public string? Azp { get; set; }
    public bool Expired { get; set; }
    public bool OmitNonce { get; set; }
    public string? UserinfoSubOverride { get; set; }
    public Dictionary<string, object> ExtraIdTokenClaims { get; } = new();
    public Dictionary<string, object> ExtraUserinfoClaims { get; } = new();

    public static async Task<HostileIdp> StartAsync()
    {
        var idp = new HostileIdp(StandInIdpDocuments.NewApp());
        idp.Map();
        idp.Url = await StandInIdpDocuments.StartAsync(idp._app);
        return idp;
    }

    public void Provider(Dictionary<string, string?> settings, string name, string? linkByEmail = null, string? company = null)
    {
        settings[$"Gateway:Login:Providers:{name}:Type"] = "oidc";
        settings[$"Gateway:Login:Providers:{name}:Authority"] = Url;
        settings[$"Gateway:Login:Providers:{name}:ClientId"] = "client-" + name;
        settings[$"Gateway:Login:Providers:{name}:ClientSecret"] = Secret;
        settings[$"Gateway:Login:Providers:{name}:Scopes"] = "openid email profile";
        if (linkByEmail is not null)
        {
            settings[$"Gateway:Login:Providers:{name}:LinkByEmail"] = linkByEmail;
        }

        if (company is not null)
        {
            settings[$"Gateway:Login:Providers:{name}:Company"] = company;
        }
    }

    private void Map()
    {
        _app.MapGet("/.well-known/openid-configuration", () =>
            StandInIdpDocuments.Discovery(Url, "/authorize", "/token", "/userinfo", "/jwks", ["RS256", "HS256", "none"]));
        _app.MapGet("/jwks", () => StandInIdpDocuments.Jwks(_key));
        _app.MapGet("/authorize", (HttpContext c) =>
        {
            var q = c.Request.Query;
            var code = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
            _codes[code] = (q["client_id"]!, q["nonce"]);
            return Results.Redirect($"{q["redirect_uri"]}?code={code}&state={Uri.EscapeDataString(q["state"]!)}");
        });
        _app.MapPost("/token", async (HttpContext c) =>
        {
            var form = await c.Request.ReadFormAsync();
            if (!_codes.TryRemove(form["code"].ToString(), out var issued))
            {
                return Results.Json(new { error = "invalid_grant" }, statusCode: 400);
            }

            return Results.Json(new { access_token = "at-" + Sub, token_type = "Bearer", expires_in = 3600, id_token = IdToken(issued.ClientId, issued.Nonce) });
        });
        _app.MapGet("/userinfo", () =>
        {
            var profile = new Dictionary<string, object> { ["sub"] = UserinfoSubOverride ?? Sub, ["email"] = Email, ["name"] = "Idp User" };
            if (EmailVerified is not null)
            {
                profile["email_verified"] = EmailVerified;
            }

            foreach (var (name, value) in ExtraUserinfoClaims)
            {
                profile[name] = value;
            }

            return Results.Json(profile);
        });
    }

    private static string B64(string s) => Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(s));

    private string IdToken(string clientId, string? nonce)
    {
        var now = DateTimeOffset.UtcNow;
        var claims = new Dictionary<string, object>
        {
            ["iss"] = IssuerOverride ?? Url,
            ["aud"] = AudienceOverride ?? clientId,
            ["sub"] = Sub,
            ["email"] = Email,
            ["iat"] = (Expired ? now.AddHours(-2) : now).ToUnixTimeSeconds(),
            ["exp"] = (Expired ? now.AddHours(-1) : now.AddMinutes(10)).ToUnixTimeSeconds(),
        };
        if (EmailVerified is not null)
        {
            claims["email_verified"] = EmailVerified;
        }

        if (!OmitNonce && nonce is not null)
        {
            claims["nonce"] = nonce;
        }

        if (Azp is not null)
        {
            claims["azp"] = Azp;
        }

        foreach (var (name, value) in ExtraIdTokenClaims)
        {
            claims[name] = value;
        }

        var payload = JsonSerializer.Serialize(claims);
        switch (Alg)
        {
            case "none":
                return $"{B64("{\"alg\":\"none\",\"typ\":\"JWT\"}")}.{B64(payload)}.";
            case "HS256":
                var input = $"{B64("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"idp-key\"}")}.{B64(payload)}";
                return input + "." + Base64UrlEncoder.Encode(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.ASCII.GetBytes(input)));
            default:
                return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(payload,
                    new SigningCredentials(_key, SecurityAlgorithms.RsaSha256));
        }
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}
