using Tribuo.Gateway.Http;
using Tribuo.Gateway.RateLimits;
using Tribuo.Gateway.Routes;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Configuration.ClusterValidators;
using Yarp.ReverseProxy.Forwarder;

namespace Tribuo.Gateway.Proxy;

internal static class ProxyExtensions
{
    /// <summary>YARP fed by <c>routes.json</c>, with the gateway's access step and identity transforms.</summary>
    public static IServiceCollection AddGatewayProxy(this IServiceCollection services)
    {
        services.AddReverseProxy()
            .AddConfigFilter<UpstreamTimeout>()
            .AddTransforms(ForwardedHeaders.AddTransforms)
            .AddTransforms(IdentityTransforms.Apply)
            .AddTransforms(TraceContextTransforms.Apply);
        services.AddSingleton<IForwarderHttpClientFactory, UpstreamHttpClientFactory>();
        services.AddSingleton<IClusterValidator, TraceContextMetadata>();
        HealthProbeLog.WrapPolicies(services);
        services.AddSingleton<ForwardedHeaders>();
        services.AddHostedService<OpenRequestsWatch>();
        services.AddSingleton<RoutesValidator>();
        services.AddSingleton<RoutesLoader>();
        services.AddSingleton<RoutesFileConfigProvider>();
        services.AddSingleton<IProxyConfigProvider>(sp => sp.GetRequiredService<RoutesFileConfigProvider>());
        return services;
    }

    /// <summary>
    /// Loads the routes file before YARP asks for it. False, with every error written to stderr, when the file
    /// is invalid: the process must stop with a message an operator can act on, not a stack trace.
    /// </summary>
    public static async Task<bool> TryLoadRoutesAsync(this WebApplication app)
    {
        try
        {
            await app.Services.GetRequiredService<RoutesFileConfigProvider>().LoadInitialAsync();
            return true;
        }
        catch (GatewayConfigException ex)
        {
            await Console.Error.WriteLineAsync("Tribuo Gateway cannot start: the routes file is invalid." + Environment.NewLine + ex.Message);
            return false;
        }
    }

    /// <summary>
    /// The proxy pipeline, every step a request meets in order, one file each. Every route endpoint carries
    /// its <see cref="RoutePolicy"/>, and never outranks the gateway's own endpoints. (Ambiguous targets and
    /// TRACE were refused before routing, by <see cref="RequestTargetGuard"/>; the upstream request is shaped
    /// by the transforms: <see cref="ForwardedHeaders"/>, <see cref="IdentityTransforms"/>.)
    /// </summary>
    public static void MapGatewayProxy(this WebApplication app)
    {
        // WebApplication adds ASP.NET Core's authorization middleware ahead of the whole pipeline unless told it is set up:
        // there, before routing, it never saw an endpoint's policy, and only cost every request an async frame. No endpoint
        // of the gateway asks for it, and routes.json refuses YARP's AuthorizationPolicy (FrameworkPolicies); an endpoint
        // carrying such metadata anyway is refused by the endpoint middleware (a 500), as it already was, never let through.
        ((IApplicationBuilder)app).Properties["__AuthorizationMiddlewareSet"] = true;
        var routes = app.Services.GetRequiredService<RoutesFileConfigProvider>();
        var upstreamLog = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(UpstreamErrors));
        app.MapReverseProxy(pipeline =>
            {
                // Use(next => ...), not Use((context, next) => ...): that overload makes a closure per request.
                pipeline.Use(next => context => UpstreamErrors.DescribeAsync(context, next, upstreamLog));
                pipeline.UseMiddleware<UntrustedHeadersStep>();   // forged identity, forwarding and override headers go
                pipeline.UseMiddleware<CredentialStep>();         // read the one credential, take it out of what is forwarded
                pipeline.UseMiddleware<PreflightStep>();          // CORS preflights answered here, never proxied
                pipeline.UseMiddleware<SessionHandBackStep>();    // ?token= back from the login page → session cookie
                pipeline.UseMiddleware<CallerStep>();             // the credential → a key or a user, or 401/503
                pipeline.UseMiddleware<PolicyStep>();             // the caller against the route's policy, or 403
                pipeline.UseMiddleware<RateLimitStep>();          // the route's and the key's rate limits, or 429
                pipeline.UseMiddleware<OpenRequestStep>();        // tracked while open: closed when its credential is revoked
                pipeline.UseSessionAffinity();
                pipeline.UseLoadBalancing();
                pipeline.UsePassiveHealthChecks();
            })
            .ConfigureEndpoints((endpoint, route) =>
            {
                endpoint.WithMetadata(routes.Snapshot?.Policies.GetValueOrDefault(route.RouteId) ?? RoutePolicy.Closed);
                endpoint.Add(b =>
                {
                    if (b is RouteEndpointBuilder routeEndpoint && routeEndpoint.Order < GatewayEndpoints.FirstProxyOrder)
                    {
                        routeEndpoint.Order = GatewayEndpoints.FirstProxyOrder;
                    }
                });
            });
    }
}
