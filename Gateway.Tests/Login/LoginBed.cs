using System.Net;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Tribuo.Gateway.Tests.Infrastructure;
using Xunit;

namespace Tribuo.Gateway.Tests.Login;

/// <summary>
/// A gateway wired to the real OpenID Connect provider (playing DataPass), real Redis and PostgreSQL, and an
/// echo upstream; plus a browser-like client that keeps cookies and does not follow redirects.
/// </summary>
internal sealed class LoginBed : IAsyncDisposable
{
    public const string DocsOrigin = "https://docs.tribuo.cloud";
    public const string HandoffOrigin = "https://datapass.tribuo.cloud";

    /// <summary>What instances behind one load balancer share: the issuer of their tokens.</summary>
    public const string Issuer = "https://login.tribuo.cloud";

    private readonly List<GatewayApp> _gateways = [];

    private LoginBed(OidcProvider provider, EchoUpstream upstream, string redis, string postgres)
    {
        Provider = provider;
        Upstream = upstream;
        Redis = redis;
        Postgres = postgres;
    }

    public OidcProvider Provider { get; }
    public EchoUpstream Upstream { get; }
    public string Redis { get; }
    public string Postgres { get; }

    public static async Task<LoginBed> StartAsync(OidcProvider provider, RedisServer redis, string postgres) =>
        new(provider, await EchoUpstream.StartAsync(), redis.ConnectionString, postgres);

    public string Routes => RoutesJson.With(Upstream.Address,
        RoutesJson.Route("docs", "/docs/{**rest}", "user", "\"Companies\": \"acme\""),
        RoutesJson.Route("any", "/any/{**rest}", "any", "\"Scopes\": \"user\""),
        RoutesJson.Route("admins", "/admins/{**rest}", "user", "\"Roles\": \"admin\""));

    /// <summary>Starts a gateway on a fixed port with DataPass clients registered for it (basic and post).</summary>
    public async Task<GatewayApp> StartGatewayAsync(IDictionary<string, string?>? extra = null)
    {
        var port = LoopbackPort.GetFree();
        var basic = await Provider.RegisterClientAsync($"http://127.0.0.1:{port}/auth/new-token/datapass", "client_secret_basic");
        var post = await Provider.RegisterClientAsync($"http://127.0.0.1:{port}/auth/new-token/datapass-post", "client_secret_post");
        var partner = await Provider.RegisterClientAsync($"http://127.0.0.1:{port}/auth/new-token/partner");
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Redis"] = Redis,
            ["ConnectionStrings:Postgres"] = Postgres,
            ["Gateway:PublicUrl"] = $"http://127.0.0.1:{port}",
            ["Gateway:Tokens:Issuer"] = Issuer,
            ["Gateway:Login:AllowedOrigins:0"] = DocsOrigin,
            ["Gateway:Login:AllowedOrigins:1"] = "http://localhost:3000",
            ["Gateway:Login:AllowedOrigins:2"] = HandoffOrigin,
            ["Gateway:Login:QueryHandoffOrigins:0"] = HandoffOrigin,
            ["Gateway:Login:Admins:0"] = "boss@acme.fr",
            ["Gateway:Login:Providers:datapass:Authority"] = Provider.Issuer,
            ["Gateway:Login:Providers:datapass:ClientId"] = basic.ClientId,
            ["Gateway:Login:Providers:datapass:ClientSecret"] = basic.ClientSecret,
            ["Gateway:Login:Providers:datapass:DisplayName"] = "DataPass",
            ["Gateway:Login:Providers:datapass:Scopes"] = OidcProvider.DataPassScopes,
            ["Gateway:Login:Providers:datapass:Company"] = "acme",
            ["Gateway:Login:Providers:datapass:DataPass"] = "true",
            ["Gateway:Login:Providers:datapass-post:Authority"] = Provider.Issuer,
            ["Gateway:Login:Providers:datapass-post:ClientId"] = post.ClientId,
            ["Gateway:Login:Providers:datapass-post:ClientSecret"] = post.ClientSecret,
            ["Gateway:Login:Providers:datapass-post:ClientAuthentication"] = "client_secret_post",
            ["Gateway:Login:Providers:datapass-post:Company"] = "acme",
            ["Gateway:Login:Providers:datapass-post:DataPass"] = "true",
            ["Gateway:Login:Providers:datapass-post:Scopes"] = OidcProvider.DataPassScopes,
            // A plain OIDC provider: LinkByEmail off by default.
            ["Gateway:Login:Providers:partner:Authority"] = Provider.Issuer,
            ["Gateway:Login:Providers:partner:ClientId"] = partner.ClientId,
            ["Gateway:Login:Providers:partner:ClientSecret"] = partner.ClientSecret,
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        var gateway = GatewayApp.Start(Routes, settings, port);
        _gateways.Add(gateway);
        return gateway;
    }

    public static HttpClient NewBrowser(GatewayApp gateway) => NewBrowser(gateway.BaseAddress);

    /// <summary>A browser-like client for a gateway at <paramref name="baseAddress"/> (a process of its own, too).</summary>
    public static HttpClient NewBrowser(Uri baseAddress) =>
        new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = true, CookieContainer = new CookieContainer() }) { BaseAddress = baseAddress };

    /// <summary>Starts a login at the gateway and walks the provider's form; returns the provider's redirect back to the gateway.</summary>
    public async Task<Uri> LoginAtProviderAsync(HttpClient browser, string login, string origin = DocsOrigin, string provider = "datapass", Func<Uri, Uri>? tamperAuthorizationUrl = null)
    {
        var ct = TestContext.Current.CancellationToken;
        using var start = await browser.GetAsync($"/auth/login-{provider}?origin={Uri.EscapeDataString(origin)}", ct);
        Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);
        var authorization = start.Headers.Location!;
        Assert.StartsWith(Provider.Issuer, authorization.ToString());
        return await OidcDevLogin.LoginAsync(browser, tamperAuthorizationUrl?.Invoke(authorization) ?? authorization, login, ct);
    }

    /// <summary>The full login; returns where the gateway finally sends the browser.</summary>
    public async Task<Uri> LoginAsync(HttpClient browser, string login, string origin = DocsOrigin, string provider = "datapass")
    {
        var callback = await LoginAtProviderAsync(browser, login, origin, provider);
        using var response = await browser.GetAsync(callback, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return response.Headers.Location!;
    }

    public static string TokenFrom(Uri redirect) =>
        Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(redirect.Query)["token"].Single()!;

    /// <summary>Validates a gateway token against the gateway's published JWKS, as a site would.</summary>
    public static async Task<JsonWebToken> VerifyWithJwksAsync(GatewayApp gateway, string token, string audience = "tribuo")
    {
        using var client = gateway.NewClient();
        var jwks = new JsonWebKeySet(await client.GetStringAsync("/.well-known/jwks.json"));
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = Issuer,
            ValidAudience = audience,
            IssuerSigningKeys = jwks.Keys,
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
        });
        Assert.True(result.IsValid, $"token not valid against the JWKS: {result.Exception?.Message}");
        return (JsonWebToken)result.SecurityToken;
    }

    public static JsonElement Payload(string token) =>
        JsonDocument.Parse(Base64UrlEncoder.Decode(token.Split('.')[1])).RootElement.Clone();

    public async ValueTask DisposeAsync()
    {
        foreach (var gateway in _gateways)
        {
            await gateway.DisposeAsync();
        }

        await Upstream.DisposeAsync();
    }
}
