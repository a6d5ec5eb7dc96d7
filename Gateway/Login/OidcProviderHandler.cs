using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OAuth;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Tribuo.Gateway.Login;

/// <summary>The options of one provider scheme: ASP.NET Core's OAuth options plus the gateway's provider settings.</summary>
internal abstract class ProviderSchemeOptions : OAuthOptions
{
    public ProviderOptions Provider { get; set; } = new();

    /// <summary><c>Gateway:PublicUrl</c>: the one host whose callback URLs are registered with the providers.</summary>
    public string? PublicUrl { get; set; }

    /// <summary>
    /// A failure after the code came back (token endpoint, id_token, userinfo) as a result that keeps the login's
    /// state: thrown, the base handler would lose it, and the browser could not be sent back to its origin.
    /// </summary>
    public HandleRequestResult FailKeepingState(Exception failure, HttpRequest request) =>
        HandleRequestResult.Fail(failure, StateDataFormat.Unprotect(request.Query["state"]));

    /// <summary>The callback URL: on the public URL when configured, whatever host the login started on.</summary>
    public string? RedirectUri(PathString callbackPath) => PublicUrl is null ? null : PublicUrl.TrimEnd('/') + callbackPath.Value;
}

internal sealed class OidcProviderOptions : ProviderSchemeOptions;

/// <summary>
/// OpenID Connect on top of ASP.NET Core's OAuth handler (the OpenIdConnect package is not available here):
/// the endpoints come from discovery, the authorization request carries a nonce (and state and PKCE from
/// the base handler), the code is exchanged with <c>client_secret_basic</c> or <c>client_secret_post</c>,
/// and the id_token is validated (signature from the provider's JWKS, <c>iss</c>, <c>aud</c>, <c>nonce</c>,
/// expiry) before userinfo is read.
/// </summary>
internal sealed class OidcProviderHandler(IOptionsMonitor<OidcProviderOptions> options, ILoggerFactory logger, UrlEncoder encoder, OidcDiscovery discovery)
    : OAuthHandler<OidcProviderOptions>(options, logger, encoder)
{
    public const string NonceKey = "nonce";

    private string Authority => Options.Provider.Authority!;

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        await UseDiscoveredEndpointsAsync();
        await base.HandleChallengeAsync(properties);
    }

    protected override async Task<HandleRequestResult> HandleRemoteAuthenticateAsync()
    {
        try
        {
            await UseDiscoveredEndpointsAsync();
            return await base.HandleRemoteAuthenticateAsync();
        }
        catch (Exception ex) when (ex is AuthenticationFailureException or HttpRequestException or System.Text.Json.JsonException or InvalidOperationException or TaskCanceledException)
        {
            return Options.FailKeepingState(ex, Request);
        }
    }

    protected override string BuildChallengeUrl(AuthenticationProperties properties, string redirectUri)
    {
        // The nonce is in the protected state (set before the challenge) and in the request; the id_token must echo it.
        var url = base.BuildChallengeUrl(properties, Options.RedirectUri(Options.CallbackPath) ?? redirectUri);
        return properties.Items.TryGetValue(NonceKey, out var nonce) && nonce is not null
            ? QueryHelpers.AddQueryString(url, NonceKey, nonce)
            : url;
    }

    protected override async Task<OAuthTokenResponse> ExchangeCodeAsync(OAuthCodeExchangeContext context)
    {
        var configuration = await discovery.GetAsync(Authority, Context.RequestAborted);
        var form = new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = context.Code,
            ["redirect_uri"] = Options.RedirectUri(Options.CallbackPath) ?? context.RedirectUri,
        };
        if (context.Properties.Items.Remove(OAuthConstants.CodeVerifierKey, out var verifier) && verifier is not null)
        {
            form["code_verifier"] = verifier;
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, Options.TokenEndpoint);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (UsesClientSecretPost(configuration))
        {
            form["client_id"] = Options.ClientId;
            form["client_secret"] = Options.ClientSecret;
        }
        else
        {
            // RFC 6749 §2.3.1: both parts form-urlencoded before base64.
            var credentials = $"{Uri.EscapeDataString(Options.ClientId)}:{Uri.EscapeDataString(Options.ClientSecret)}";
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));
        }

        request.Content = new FormUrlEncodedContent(form);
        using var response = await Backchannel.SendAsync(request, Context.RequestAborted);
        var body = await response.Content.ReadAsStringAsync(Context.RequestAborted);
        if (!response.IsSuccessStatusCode)
        {
            return OAuthTokenResponse.Failed(new AuthenticationFailureException($"The token endpoint refused the code ({(int)response.StatusCode})."));
        }

        return OAuthTokenResponse.Success(JsonDocument.Parse(body));
    }

    protected override async Task<AuthenticationTicket> CreateTicketAsync(ClaimsIdentity identity, AuthenticationProperties properties, OAuthTokenResponse tokens)
    {
        var configuration = await discovery.GetAsync(Authority, Context.RequestAborted);
        var idToken = tokens.Response?.RootElement.TryGetProperty("id_token", out var value) == true ? value.GetString() : null;
        if (string.IsNullOrEmpty(idToken))
        {
            throw new AuthenticationFailureException("The provider returned no id_token.");
        }

        var validated = await ValidateIdTokenAsync(idToken, configuration, properties);
        var subject = validated.Subject;

        using var request = new HttpRequestMessage(HttpMethod.Get, Options.UserInformationEndpoint);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tokens.AccessToken);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using var response = await Backchannel.SendAsync(request, Context.RequestAborted);
        if (!response.IsSuccessStatusCode)
        {
            throw new AuthenticationFailureException($"The userinfo endpoint answered {(int)response.StatusCode}.");
        }

        using var userInfo = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Context.RequestAborted));
        var user = userInfo.RootElement;
        if (!user.TryGetProperty("sub", out var sub) || sub.GetString() != subject)
        {
            // OIDC Core §5.3.2: userinfo about someone else must not be used.
            throw new AuthenticationFailureException("The userinfo subject does not match the id_token.");
        }

        ProviderClaims.AddFromJson(identity, user, Options.Provider);
        return new AuthenticationTicket(new ClaimsPrincipal(identity), properties, Scheme.Name);
    }

    private async Task<JsonWebToken> ValidateIdTokenAsync(string idToken, OpenIdConnectConfiguration configuration, AuthenticationProperties properties)
    {
        var parameters = new TokenValidationParameters
        {
            ValidIssuer = configuration.Issuer,
            ValidAudience = Options.ClientId,
            IssuerSigningKeys = configuration.SigningKeys,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ClockSkew = TimeSpan.FromSeconds(30),
        };
        var handler = new JsonWebTokenHandler();
        var result = await handler.ValidateTokenAsync(idToken, parameters);
        if (!result.IsValid && result.Exception is SecurityTokenSignatureKeyNotFoundException)
        {
            // The provider may have rotated its keys since we cached its JWKS.
            discovery.Refresh(Authority);
            parameters.IssuerSigningKeys = (await discovery.GetAsync(Authority, Context.RequestAborted)).SigningKeys;
            result = await handler.ValidateTokenAsync(idToken, parameters);
        }

        if (!result.IsValid || result.SecurityToken is not JsonWebToken token)
        {
            throw new AuthenticationFailureException($"The id_token is not valid ({result.Exception?.GetType().Name}).");
        }

        properties.Items.TryGetValue(NonceKey, out var expectedNonce);
        if (string.IsNullOrEmpty(expectedNonce) || !token.TryGetPayloadValue<string>("nonce", out var nonce) || nonce != expectedNonce)
        {
            throw new AuthenticationFailureException("The id_token nonce does not match this login.");
        }

        return token;
    }

    private bool UsesClientSecretPost(OpenIdConnectConfiguration configuration) =>
        Options.Provider.ClientAuthentication is { } configured
            ? configured.Equals("client_secret_post", StringComparison.OrdinalIgnoreCase)
            : configuration.TokenEndpointAuthMethodsSupported.Count > 0
              && !configuration.TokenEndpointAuthMethodsSupported.Contains("client_secret_basic")
              && configuration.TokenEndpointAuthMethodsSupported.Contains("client_secret_post");

    private async Task UseDiscoveredEndpointsAsync()
    {
        // Options are per scheme and shared; every request writes the same discovered values.
        var configuration = await discovery.GetAsync(Authority, Context.RequestAborted);
        Options.AuthorizationEndpoint = configuration.AuthorizationEndpoint;
        Options.TokenEndpoint = configuration.TokenEndpoint;
        Options.UserInformationEndpoint = configuration.UserInfoEndpoint;
    }
}
