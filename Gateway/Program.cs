using Tribuo.Gateway.Cli;
using Tribuo.Gateway.Hosting;
using Tribuo.Gateway.Http;
using Tribuo.Gateway.Keys;
using Tribuo.Gateway.Login;
using Tribuo.Gateway.Operations;
using Tribuo.Gateway.OperatorsConsole;
using Tribuo.Gateway.Proxy;
using Tribuo.Gateway.RateLimits;
using Tribuo.Gateway.Routes;
using Tribuo.Gateway.Storage;
using Tribuo.Gateway.Tokens;

// Tribuo Gateway: API keys, the login hub and identity forwarding in front of YARP.
if (GatewayCli.Handles(args))
{
    return await GatewayCli.RunAsync(args);
}

var builder = WebApplication.CreateBuilder(args);
builder.AddGatewayDefaults();                                  // embedded defaults, secret-free logging, paths
builder.AddGatewayObservability();                             // metrics, traces over OTLP when configured
builder.Services.AddGatewayStorage();                          // Redis / PostgreSQL / embedded SQLite
builder.Services.AddGatewayKeys();                             // the KEY scheme, key cache, seeding, administration
builder.Services.AddGatewayTokens();                           // signing keys, JWTs, revocations, data protection
builder.Services.AddGatewayLogin();                            // the login hub: providers, users, legacy passwords
builder.Services.AddGatewayProxy();                            // routes.json → YARP, access step, identity headers
builder.Services.AddGatewayRateLimits();                       // per route, key and client; shared through Redis
builder.Services.AddGatewayErrors();                           // one problem+json shape for every error the gateway writes
builder.Services.AddGatewayJson();                             // response bodies by generated serializers (no reflection: Native AOT)
builder.Services.AddGatewayHealthChecks();                     // /healthz, /readyz: one check per configured store
builder.Services.AddGatewayConsole();                          // the operators' console: pages, antiforgery, who-can-reach-what

var app = builder.Build();
if (!app.TryValidateSettings() || !await app.TryLoadRoutesAsync() || !app.TryReadKeysFile() || !app.TryValidateLogin()) // invalid config: stop, readably
{
    return 2;
}

app.UseTrustedProxies();                                       // client scheme, host and address from Gateway:TrustedProxies
app.UseRequestObservation();                                   // access log line, request metrics, span tags
app.UseGatewayErrors();                                        // framework errors on gateway endpoints as problem+json
app.UseRequestTargetGuard();                                   // refuse paths the upstream could read differently
app.UseLoginLocalization();                                    // the hub's and the console's pages in English or French, from Accept-Language
app.UseLoginCallbacks();                                       // providers' callbacks, /auth/new-token/<provider>
app.UseRouting();                                              // here, not first: routes match the forwarded host, and a routing error is a problem

var gateway = app.MapGatewayEndpoints();                       // the gateway's own paths, ahead of every route
gateway.MapHealth();                                           // /healthz, /readyz
gateway.MapLogin();                                            // /login, /auth/login-<provider>, /auth/login-password
gateway.MapTokens();                                           // /.well-known/jwks.json, check-token, /auth/logout
gateway.MapMetrics(app.Services);                              // /metrics: Prometheus text, metrics or admin keys
gateway.MapConsole();                                          // /gateway/console: people with a console role, through the hub's login
var admin = gateway.MapGroup("").AddEndpointFilter(AdminAccess.ForAdministration(app.Services)); // /gateway/*: admin keys only
admin.MapKeysApi();                                            // /gateway/keys
admin.MapConfigApi();                                          // /gateway/config
app.MapGatewayProxy();                                         // everything else: routes.json
app.BuildGatewayEndpointsOnce();                               // a routes reload rebuilds YARP's endpoints only, not these

return await app.RunGatewayAsync();                            // a port in use: a readable message, exit 2

public partial class Program;
