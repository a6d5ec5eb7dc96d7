using Microsoft.AspNetCore.Authentication.OAuth;
using Microsoft.Extensions.Options;

namespace Tribuo.Gateway.Login;

/// <summary>
/// Fills each provider scheme's options from its <c>Gateway:Login:Providers:&lt;name&gt;</c> section: client,
/// scopes, the callback <c>/auth/new-token/&lt;name&gt;</c>, PKCE, and the events that finish a login.
/// </summary>
internal sealed class ProviderOptionsSetup(LoginOptions login, IConfiguration configuration) : IConfigureNamedOptions<OidcProviderOptions>, IConfigureNamedOptions<ZohoProviderOptions>
{
    public void Configure(string? name, OidcProviderOptions options)
    {
        if (Find(name) is not { } provider)
        {
            return;
        }

        options.Provider = provider;
        Common(name!, provider, options, "openid email profile");
        // Placeholders so the options validate; the handler replaces them with what discovery says.
        var authority = provider.Authority!.TrimEnd('/');
        options.AuthorizationEndpoint = authority + "/authorize";
        options.TokenEndpoint = authority + "/token";
        options.UserInformationEndpoint = authority + "/userinfo";
    }

    public void Configure(string? name, ZohoProviderOptions options)
    {
        if (Find(name) is not { } provider)
        {
            return;
        }

        options.Provider = provider;
        Common(name!, provider, options, "AaaServer.profile.READ");
        ZohoProviderHandler.UseAccountsServer(options, provider.AccountsUrl!);
    }

    public void Configure(OidcProviderOptions options) => Configure(Options.DefaultName, options);

    public void Configure(ZohoProviderOptions options) => Configure(Options.DefaultName, options);

    private ProviderOptions? Find(string? name) =>
        name is null ? null : login.Providers.FirstOrDefault(p => p.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;

    private void Common(string name, ProviderOptions provider, ProviderSchemeOptions options, string defaultScopes)
    {
        options.PublicUrl = configuration["Gateway:PublicUrl"];
        options.ClientId = provider.ClientId!;
        options.ClientSecret = provider.ClientSecret!;
        options.CallbackPath = $"/auth/new-token/{name.ToLowerInvariant()}";
        options.Scope.Clear();
        foreach (var scope in (provider.Scopes ?? defaultScopes).Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            options.Scope.Add(scope);
        }

        options.UsePkce = true;
        options.SaveTokens = false;
        // Lax is enough for the provider's top-level GET back to us; Secure follows the request so that a
        // plain-http development gateway works (in production the public URL is https).
        options.CorrelationCookie.SameSite = SameSiteMode.Lax;
        options.CorrelationCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        options.Events = new OAuthEvents
        {
            OnTicketReceived = LoginExtensions.OnTicketReceivedAsync,
            OnRemoteFailure = LoginExtensions.OnRemoteFailureAsync,
        };
    }
}
