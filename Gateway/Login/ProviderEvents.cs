using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Tribuo.Gateway.Login;

/// <summary>
/// What the gateway adds to ASP.NET Core's OpenID Connect handler for one provider: the callback on
/// <c>Gateway:PublicUrl</c>, <c>client_secret_basic</c> when the provider wants it (the handler only posts the
/// secret), the claims the login hub reads, Zoho's own user id and picture, and the end of the login.
/// </summary>
internal sealed class ProviderEvents(ProviderOptions provider, string? publicUrl) : OpenIdConnectEvents
{
    public override Task RedirectToIdentityProvider(RedirectContext context)
    {
        // The one callback URL registered with the provider, whatever host the login started on.
        if (publicUrl is not null)
        {
            context.ProtocolMessage.RedirectUri = publicUrl.TrimEnd('/') + context.Options.CallbackPath;
        }

        return Task.CompletedTask;
    }

    public override async Task AuthorizationCodeReceived(AuthorizationCodeReceivedContext context)
    {
        var configuration = await context.Options.ConfigurationManager!.GetConfigurationAsync(context.HttpContext.RequestAborted);
        CheckResponseIssuer(context.ProtocolMessage.Iss, configuration);
        if (!UsesClientSecretBasic(configuration) || context.TokenEndpointRequest is not { } message)
        {
            return;
        }

        message.ClientSecret = null;
        using var request = new HttpRequestMessage(HttpMethod.Post, configuration.TokenEndpoint)
        {
            Content = new FormUrlEncodedContent(message.Parameters.Where(p => p.Value is not null)),
        };
        // RFC 6749 §2.3.1: both parts form-urlencoded before base64.
        var credentials = $"{Uri.EscapeDataString(context.Options.ClientId!)}:{Uri.EscapeDataString(context.Options.ClientSecret!)}";
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using var response = await context.Backchannel.SendAsync(request, context.HttpContext.RequestAborted);
        var body = await response.Content.ReadAsStringAsync(context.HttpContext.RequestAborted);
        if (!response.IsSuccessStatusCode)
        {
            // Thrown as the handler's own redemption does: its catch fails the login with the state's properties, so
            // the person lands on the login page for the origin (context.Fail would drop them: no origin to go back to).
            throw new OpenIdConnectProtocolException($"The token endpoint refused the code ({(int)response.StatusCode}).");
        }

        context.HandleCodeRedemption(new OpenIdConnectMessage(body));
    }

    /// <summary>
    /// RFC 9207 (mix-up defence): a callback's <c>iss</c> must be the provider's issuer, and must be there when the
    /// provider says it sends one, before the code goes to this provider's token endpoint. The handler ignores it.
    /// Thrown, as the handler's own failures are, so the login fails with its state's origin (error=provider).
    /// </summary>
    private static void CheckResponseIssuer(string? iss, OpenIdConnectConfiguration configuration)
    {
        if (iss is null ? configuration.AuthorizationResponseIssParameterSupported : !string.Equals(iss, configuration.Issuer, StringComparison.Ordinal))
        {
            throw new OpenIdConnectProtocolException(iss is null
                ? "The authorization response has no iss, which the provider says it sends (RFC 9207)."
                : $"The authorization response's iss '{iss}' is not the provider's issuer '{configuration.Issuer}' (RFC 9207).");
        }
    }

    public override Task TokenValidated(TokenValidatedContext context)
    {
        // The handler validates an id_token from the token endpoint with RequireSignedTokens forced to false
        // (OIDC Core allows relying on TLS there), set on its own copy of the parameters after every event:
        // refuse an unsigned one here. A signed one was checked against the provider's keys.
        if (context.SecurityToken is not { } signed || string.IsNullOrEmpty(signed.RawSignature)
            || string.IsNullOrEmpty(signed.Header.Alg) || signed.Header.Alg.Equals("none", StringComparison.OrdinalIgnoreCase))
        {
            context.Fail("The provider's id_token is not signed.");
            return Task.CompletedTask;
        }

        // The handler skips this check when the code was redeemed here (client_secret_basic): run it always,
        // so nonce, iat, azp and the other OIDC Core §3.1.3.7 rules hold whoever redeemed the code.
        context.Options.ProtocolValidator.ValidateTokenResponse(new OpenIdConnectProtocolValidationContext
        {
            ClientId = context.Options.ClientId,
            ProtocolMessage = context.TokenEndpointResponse,
            ValidatedIdToken = context.SecurityToken,
            Nonce = context.Nonce,
        });
        if (context.Principal is not { } principal || context.SecurityToken is not { } idToken)
        {
            return Task.CompletedTask;
        }

        var derived = ProviderClaims.Derived(principal);
        if (provider.IsZoho && principal.FindFirst(ProviderClaims.Subject)?.Value is { } zuid)
        {
            // Zoho's sub is the ZUID: the user id and picture the existing sites know. Added first, so they win.
            // Only here: no other provider chooses a user's id, whatever its tokens say.
            ProviderClaims.Add(derived, ProviderClaims.PreferredUserId, zuid);
            ProviderClaims.Add(derived, ProviderClaims.Picture, ProviderClaims.ZohoThumbnailUrl(provider.AccountsUrl!, zuid));
        }

        // The id_token read like userinfo (it comes first, so its sub and e-mail are the ones used).
        var payload = idToken.RawPayload is { Length: > 0 } raw ? Base64UrlEncoder.Decode(raw) : idToken.Payload.SerializeToJson();
        using var document = JsonDocument.Parse(payload);
        ProviderClaims.AddFromJson(derived, document.RootElement, provider);
        return Task.CompletedTask;
    }

    public override Task UserInformationReceived(UserInformationReceivedContext context)
    {
        // The handler has checked that userinfo's sub is the id_token's (OIDC Core §5.3.2).
        if (context.Principal is { } principal)
        {
            ProviderClaims.AddFromJson(ProviderClaims.Derived(principal), context.User.RootElement, provider);
        }

        return Task.CompletedTask;
    }

    public override Task TicketReceived(TicketReceivedContext context) => LoginExtensions.OnTicketReceivedAsync(context);

    public override Task RemoteFailure(RemoteFailureContext context) => LoginExtensions.OnRemoteFailureAsync(context);

    private bool UsesClientSecretBasic(OpenIdConnectConfiguration configuration) =>
        provider.ClientAuthentication is { } configured
            ? configured.Equals("client_secret_basic", StringComparison.OrdinalIgnoreCase)
            : configuration.TokenEndpointAuthMethodsSupported.Count == 0
              || configuration.TokenEndpointAuthMethodsSupported.Contains("client_secret_basic");
}
