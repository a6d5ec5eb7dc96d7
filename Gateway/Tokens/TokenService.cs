using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Tribuo.Gateway.Users;

namespace Tribuo.Gateway.Tokens;

/// <summary>A token that passed every check: its claims, as check-token returns them.</summary>
internal sealed record TokenIdentity(string UserId, string Email, string Name, string? ImgUrl, string Role, string? Company, string? OrganizationSiret, string Jti, DateTimeOffset Expires, JsonElement Claims);

/// <summary>
/// Signs the JWTs existing sites read (DESIGN §5) and checks them: the algorithm is pinned to ES256 and the
/// keys to the gateway's own (a token's <c>jku</c>, <c>x5u</c> or embedded <c>jwk</c> is never used),
/// <c>exp</c> is required, clock skew is at most 30 s, and revoked <c>jti</c>s are refused.
/// </summary>
internal sealed class TokenService(SigningKeys keys, RevokedTokens revoked, TokenOptions options, TimeProvider time)
{
    private const int MaxCachedTokens = 50_000;

    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };

    // Verifying an ES256 signature costs far more than the rest of a proxied request, so tokens that passed
    // are remembered until they expire; revocation and expiry are still checked on every use.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, TokenIdentity> _validated = new(StringComparer.Ordinal);

    public string Issuer => options.Issuer!;

    /// <summary>
    /// Whether a token can be judged at all: the signing keys and the revocation list are loaded. Until then a
    /// user token is answered 503, never accepted (it may have been revoked) nor refused (it may be fine).
    /// </summary>
    public bool IsReady => keys.IsLoaded && revoked.IsLoaded;

    public string Issue(User user)
    {
        var now = time.GetUtcNow();
        var claims = new Dictionary<string, object>
        {
            ["name"] = user.Name,
            ["id"] = user.Id,
            ["email"] = user.Email,
            ["img_url"] = user.ImgUrl ?? "",
            ["role"] = user.Role,
            ["company"] = user.Company ?? "",
            ["sub"] = user.Id,
            ["jti"] = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(16)),
            ["iat"] = now.ToUnixTimeSeconds(),
            ["exp"] = (now + options.Lifetime).ToUnixTimeSeconds(),
        };
        if (user.OrganizationSiret is not null)
        {
            claims["organization_siret"] = user.OrganizationSiret;
        }

        return Sign(claims, options.Audience);
    }

    /// <summary>A short-lived statement of who the caller is, for one upstream (<c>aud</c> = its cluster id).</summary>
    public string SignAssertion(IReadOnlyDictionary<string, object> identity, string clusterId, out DateTimeOffset expires)
    {
        var now = time.GetUtcNow();
        expires = now + (options.AssertionLifetime > TimeSpan.FromSeconds(60) ? TimeSpan.FromSeconds(60) : options.AssertionLifetime);
        var claims = new Dictionary<string, object>(identity)
        {
            ["iat"] = now.ToUnixTimeSeconds(),
            ["exp"] = expires.ToUnixTimeSeconds(),
            ["jti"] = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(12)),
        };
        return Sign(claims, clusterId, TokenOptions.AssertionType);
    }

    /// <summary>Checks a token; null when it is not one the gateway signed, or is expired or revoked.</summary>
    public async Task<TokenIdentity?> ValidateAsync(string token)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 8192)
        {
            return null;
        }

        var result = await _handler.ValidateTokenAsync(token, Parameters());
        if (!result.IsValid && result.Exception is SecurityTokenSignatureKeyNotFoundException && TryReadKid(token) is { } kid
            && await keys.TryReloadForAsync(kid))
        {
            result = await _handler.ValidateTokenAsync(token, Parameters());
        }

        if (!result.IsValid || result.SecurityToken is not JsonWebToken jwt)
        {
            return null;
        }

        if (!jwt.TryGetPayloadValue<string>("jti", out var jti) || revoked.IsRevoked(jti))
        {
            return null;
        }

        string? Text(string name) => jwt.TryGetPayloadValue<string>(name, out var value) && value.Length > 0 ? value : null;
        var payload = JsonDocument.Parse(Base64UrlEncoder.Decode(jwt.EncodedPayload)).RootElement.Clone();
        return new TokenIdentity(Text("id") ?? jwt.Subject, Text("email") ?? "", Text("name") ?? "", Text("img_url"), Text("role") ?? UserRoles.Default,
            Text("company"), Text("organization_siret"), jti, new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero), payload);
    }

    /// <summary><see cref="ValidateAsync"/> for the request path: remembered until expiry, revocation checked every time.</summary>
    public async ValueTask<TokenIdentity?> ValidateCachedAsync(string token)
    {
        if (_validated.TryGetValue(token, out var known))
        {
            return known.Expires + TokenOptions.ClockSkew > time.GetUtcNow() && !revoked.IsRevoked(known.Jti) ? known : null;
        }

        var identity = await ValidateAsync(token);
        if (identity is not null)
        {
            if (_validated.Count >= MaxCachedTokens)
            {
                _validated.Clear();
            }

            _validated[token] = identity;
        }

        return identity;
    }

    private string Sign(Dictionary<string, object> claims, string audience, string type = TokenOptions.UserTokenType) =>
        _handler.CreateToken(new SecurityTokenDescriptor
        {
            TokenType = type,
            Issuer = options.Issuer,
            Audience = audience,
            Claims = claims,
            SigningCredentials = new SigningCredentials(keys.Current, SecurityAlgorithms.EcdsaSha256),
        });

    private TokenValidationParameters Parameters() => new()
    {
        ValidIssuer = options.Issuer,
        ValidAudience = options.Audience,
        // An assertion made for an upstream is never a login, whatever audience a cluster id gives it.
        ValidTypes = [TokenOptions.UserTokenType],
        IssuerSigningKeys = keys.All,
        ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
        RequireExpirationTime = true,
        RequireSignedTokens = true,
        ValidateLifetime = true,
        ClockSkew = TokenOptions.ClockSkew,
        TryAllIssuerSigningKeys = false,
        LifetimeValidator = (notBefore, expires, _, parameters) =>
            expires is { } exp && time.GetUtcNow().UtcDateTime < exp + parameters.ClockSkew
            && (notBefore is not { } nbf || time.GetUtcNow().UtcDateTime >= nbf - parameters.ClockSkew),
    };

    private static string? TryReadKid(string token)
    {
        try
        {
            return new JsonWebToken(token).Kid;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }
}
