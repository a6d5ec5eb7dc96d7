using Microsoft.AspNetCore.HttpOverrides;

namespace Tribuo.Gateway.Hosting;

internal static class TrustedProxies
{
    /// <summary>
    /// Behind a load balancer listed in <c>Gateway:TrustedProxies</c>, the request takes the client's scheme,
    /// host and address from the balancer's <c>X-Forwarded-Proto/-Host/-For</c> (ASP.NET Core's forwarded
    /// headers, limited to those networks), so that cookies get <c>Secure</c>, redirects and return URLs say
    /// https, and counters count clients rather than the balancer. Walks the whole chain of trusted hops and
    /// stops at the first address that is not one; what is left (client-written) the proxy step discards.
    /// </summary>
    public static void UseTrustedProxies(this WebApplication app)
    {
        var networks = app.Services.GetRequiredService<Proxy.ForwardedHeaders>().TrustedNetworks;
        if (networks.Count == 0)
        {
            return;
        }

        var options = new ForwardedHeadersOptions
        {
            ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost,
            ForwardLimit = null,
        };
        options.KnownIPNetworks.Clear();
        options.KnownProxies.Clear();
        foreach (var network in networks)
        {
            options.KnownIPNetworks.Add(network);
        }

        app.UseForwardedHeaders(options);
    }
}
