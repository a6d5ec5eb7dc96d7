using System.Collections.Concurrent;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace Tribuo.Gateway.Login;

/// <summary>
/// Each OIDC provider's discovery document and JWKS, fetched with IdentityModel's configuration manager
/// (cached, refreshed, and re-fetched on demand when a key is not found).
/// </summary>
internal sealed class OidcDiscovery(IHttpClientFactory httpClients)
{
    private readonly ConcurrentDictionary<string, ConfigurationManager<OpenIdConnectConfiguration>> _managers = new(StringComparer.Ordinal);

    public Task<OpenIdConnectConfiguration> GetAsync(string authority, CancellationToken cancellationToken) =>
        Manager(authority).GetConfigurationAsync(cancellationToken);

    public void Refresh(string authority) => Manager(authority).RequestRefresh();

    private ConfigurationManager<OpenIdConnectConfiguration> Manager(string authority) =>
        _managers.GetOrAdd(authority, a => new ConfigurationManager<OpenIdConnectConfiguration>(
            a.TrimEnd('/') + "/.well-known/openid-configuration",
            new OpenIdConnectConfigurationRetriever(),
            // https is required except for a loopback provider (development and tests).
            new HttpDocumentRetriever(httpClients.CreateClient(nameof(OidcDiscovery))) { RequireHttps = !IsLoopback(a) }));

    private static bool IsLoopback(string authority) =>
        Uri.TryCreate(authority, UriKind.Absolute, out var uri) && uri.IsLoopback;
}
