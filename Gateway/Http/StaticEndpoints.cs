using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Primitives;

namespace Tribuo.Gateway.Http;

/// <summary>
/// The gateway's own endpoints (minimal APIs: health, login, tokens, keys, console), built once. Routing
/// reads every data source again whenever one of them changes, and a minimal-API data source builds its
/// endpoints anew on each read: each request delegate compiled again from expression trees. Every routes
/// reload changes YARP's data source, so without this a reload recompiled the whole console and API (most
/// of a 10,000-route reload's CPU, taken from requests in flight). These endpoints never change after start.
/// </summary>
internal static class StaticEndpoints
{
    /// <summary>Wraps the minimal-API data sources mapped so far; call after the last <c>Map*</c>.</summary>
    public static void BuildGatewayEndpointsOnce(this WebApplication app)
    {
        var sources = ((IEndpointRouteBuilder)app).DataSources;
        var routing = typeof(RouteGroupBuilder).Assembly; // minimal APIs and their groups; YARP's source is elsewhere
        foreach (var source in sources.Where(s => s.GetType().Assembly == routing).ToList())
        {
            sources.Remove(source);
            sources.Add(new BuiltOnce(source));
        }
    }

    private sealed class BuiltOnce(EndpointDataSource inner) : EndpointDataSource
    {
        // Built at the first read (routing's first match), when every convention has been added.
        private readonly Lazy<IReadOnlyList<Endpoint>> _endpoints = new(() => inner.Endpoints, LazyThreadSafetyMode.ExecutionAndPublication);

        public override IReadOnlyList<Endpoint> Endpoints => _endpoints.Value;

        public override IChangeToken GetChangeToken() => NullChangeToken.Singleton;
    }
}
