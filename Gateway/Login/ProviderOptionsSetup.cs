using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace Tribuo.Gateway.Login;

/// <summary>
/// Fills each provider scheme's <see cref="OpenIdConnectOptions"/> from its <c>Gateway:Login:Providers:&lt;name&gt;</c>
/// section: discovery at the authority (Zoho: its accounts server), the authorization-code flow with PKCE,
/// nonce and state, userinfo, the callback <c>/auth/new-token/&lt;name&gt;</c>, and the events that finish a login.
/// </summary>
internal sealed class ProviderOptionsSetup(LoginOptions login, IConfiguration configuration) : IConfigureNamedOptions<OpenIdConnectOptions>
{
    public void Configure(string? name, OpenIdConnectOptions options)
    {
        if (name is null || login.Find(name) is not { } provider)
        {
            return;
        }

        var authority = provider.IssuerUrl!.TrimEnd('/');
        options.Authority = authority;
        options.MetadataAddress = authority + "/.well-known/openid-configuration";
        // https is required except for a loopback provider (development and tests).
        options.RequireHttpsMetadata = !(Uri.TryCreate(authority, UriKind.Absolute, out var uri) && uri.IsLoopback);
        options.ClientId = provider.ClientId;
        options.ClientSecret = provider.ClientSecret;
        options.ResponseType = OpenIdConnectResponseType.Code;
        // A top-level GET back to the gateway: the Lax correlation and nonce cookies come with it.
        options.ResponseMode = OpenIdConnectResponseMode.Query;
        options.UsePkce = true;
        options.CallbackPath = LoginExtensions.CallbackPath(name);
        options.SignInScheme = NoSessionHandler.SchemeName;
        options.GetClaimsFromUserInfoEndpoint = true;
        options.MapInboundClaims = false;
        options.SaveTokens = false;
        options.DisableTelemetry = true;
        options.ClaimActions.Clear();
        options.TokenValidationParameters.ClockSkew = TimeSpan.FromSeconds(30);
        options.Scope.Clear();
        foreach (var scope in (provider.Scopes ?? "openid email profile").Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            options.Scope.Add(scope);
        }

        // Lax is enough for the provider's top-level GET back to us; Secure follows the request so that a
        // plain-http development gateway works (in production the public URL is https).
        foreach (var cookie in new[] { options.CorrelationCookie, options.NonceCookie })
        {
            cookie.SameSite = SameSiteMode.Lax;
            cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        }

        options.Events = new ProviderEvents(provider, configuration["Gateway:PublicUrl"]);
    }

    public void Configure(OpenIdConnectOptions options) => Configure(Options.DefaultName, options);
}
