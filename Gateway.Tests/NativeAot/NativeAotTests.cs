using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Tribuo.Gateway.Tests.Infrastructure;
using Tribuo.Gateway.Tests.Login;
using Xunit;

namespace Tribuo.Gateway.Tests.NativeAot;

/// <summary>
/// Run alone, after the parallel tests: the publish takes both cores for a minute or two, and would slow timing-sensitive
/// tests running beside it.
/// </summary>
[CollectionDefinition(nameof(NativeAotCollection), DisableParallelization = true)]
public sealed class NativeAotCollection;

/// <summary>
/// The Native AOT binary doing, end to end, the work whose code a trimmed, reflection-free build could lose: the
/// routes file and settings checks (they walk types by reflection), JSON bodies in and out of the admin API, the
/// stores' queries (Dapper.AOT), the logins (a real OpenID Connect provider, the Zoho stand-in), the console's pages
/// and forms, and the proxy path.
/// </summary>
[Collection(nameof(NativeAotCollection))]
public sealed class NativeAotTests(OidcProviderFixture oidc, RedisFixture redis, PostgresFixture postgres)
    : IClassFixture<OidcProviderFixture>, IClassFixture<RedisFixture>, IClassFixture<PostgresFixture>
{
    private const string AdminSecret = "tgw_aot-admin-secret-0123456789abcdef";
    private const string ReaderSecret = "tgw_aot-reader-secret-0123456789abcdef";
    private const string DocsOrigin = "https://docs.tribuo.cloud";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task On_the_embedded_store_it_checks_keys_forwards_identity_and_serves_the_admin_API()
    {
        await using var upstream = await EchoUpstream.StartAsync(cancellationToken: Ct);
        await using var gateway = await AotGateway.StartAsync(upstream, []);
        using var http = gateway.Client();

        using (var ready = await http.GetAsync("/readyz", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            Assert.Equal("ready", (await ready.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("status").GetString());
        }

        await AssertForwardedAsync(http, upstream, ReaderSecret, "reader");
        using (var missing = await http.GetAsync("/api/x", Ct))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
            Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);
            Assert.Equal(401, (await missing.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("status").GetInt32());
        }

        // The admin API: a body read strictly, keys written and listed, a key disabled and then refused.
        using var admin = gateway.Client(AdminSecret);
        using (var unknownField = await admin.PostAsync("/gateway/keys", Json("""{ "id": "x", "name": "x", "scopes": ["api"], "scpes": [] }"""), Ct))
        {
            Assert.Equal(HttpStatusCode.BadRequest, unknownField.StatusCode);
            Assert.Contains("scpes", await unknownField.Content.ReadAsStringAsync(Ct));
        }

        var created = await CreateKeyAsync(admin, "made-by-aot");
        await AssertForwardedAsync(http, upstream, created.Secret, created.Id);
        var list = await admin.GetFromJsonAsync<JsonElement>("/gateway/keys", Ct);
        Assert.Contains(list.GetProperty("keys").EnumerateArray(), k => k.GetProperty("name").GetString() == "made-by-aot");
        using (var disable = await admin.PatchAsync($"/gateway/keys/{created.Id}", Json("""{ "disabled": true }"""), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, disable.StatusCode);
            Assert.Equal("disabled", (await disable.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("status").GetString());
        }

        using (var refused = await Send(http, "/api/x", created.Secret))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        var config = await admin.GetFromJsonAsync<JsonElement>("/gateway/config", Ct);
        Assert.Contains(config.GetProperty("routes").EnumerateArray(), r => r.GetProperty("id").GetString() == "api" && r.GetProperty("auth").GetString() == "key");
        var jwks = await http.GetFromJsonAsync<JsonElement>("/.well-known/jwks.json", Ct);
        Assert.Equal("EC", jwks.GetProperty("keys")[0].GetProperty("kty").GetString());

        // A routes file with a misspelled field (found by walking YARP's types) is refused and the old one keeps serving.
        await File.WriteAllTextAsync(gateway.RoutesFile, Routes(upstream).Replace("\"Metadata\"", "\"Metdata\""), Ct);
        var lastError = await WaitForAsync(async () =>
            (await admin.GetFromJsonAsync<JsonElement>("/gateway/config", Ct)).GetProperty("lastError").GetString());
        Assert.Contains("Metdata", lastError);
        await AssertForwardedAsync(http, upstream, ReaderSecret, "reader");

        // The metrics: the gateway's own instruments and the runtime's, in Prometheus text.
        var metrics = await admin.GetStringAsync("/metrics", Ct);
        Assert.Contains("tribuo_gateway_config_reloads_total{", metrics);
        Assert.Contains("tribuo_gateway_key_cache_total{", metrics);
        Assert.Contains("dotnet_gc_", metrics);
    }

    [Fact]
    public async Task A_misspelled_setting_or_routes_field_stops_the_binary_with_exit_2_naming_it()
    {
        var binary = await NativeAotBinary.RequireAsync();
        await using var upstream = await EchoUpstream.StartAsync(cancellationToken: Ct);
        var directory = Directory.CreateTempSubdirectory("tgw-aot-bad-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(directory, "routes.json"), Routes(upstream), Ct);
            var setting = await ChildProcess.RunAsync(ChildProcess.NewStartInfo(binary, directory,
                ["--urls=http://127.0.0.1:0", $"--Gateway:RoutesFile={Path.Combine(directory, "routes.json")}", $"--Gateway:DataDir={Path.Combine(directory, "data")}",
                 "--Gateway:Keys:CacheSiz=10", "--Gateway:Login:Providers:zoho:ClientIdd=x"]), TimeSpan.FromSeconds(60), "the AOT gateway");
            Assert.Equal(2, setting.ExitCode);
            Assert.Contains("Gateway:Keys:CacheSiz", setting.Output);

            await File.WriteAllTextAsync(Path.Combine(directory, "routes.json"),
                Routes(upstream).Replace("\"Destinations\"", "\"HttpClient\": { \"MaxConnectionsPerServr\": 4 }, \"Destinations\""), Ct);
            var routes = await ChildProcess.RunAsync(ChildProcess.NewStartInfo(binary, directory,
                ["--urls=http://127.0.0.1:0", $"--Gateway:RoutesFile={Path.Combine(directory, "routes.json")}", $"--Gateway:DataDir={Path.Combine(directory, "data")}"]),
                TimeSpan.FromSeconds(60), "the AOT gateway");
            Assert.Equal(2, routes.ExitCode);
            Assert.Contains("MaxConnectionsPerServr", routes.Output);
        }
        finally
        {
            ChildProcess.DeleteDirectoryQuietly(directory);
        }
    }

    [Fact]
    public async Task On_Redis_and_PostgreSQL_it_logs_a_person_in_through_an_OIDC_provider_and_serves_their_site()
    {
        var provider = oidc.RequireProvider();
        var redisServer = redis.RequireServer();
        var database = await postgres.CreateExtraDatabaseAsync();
        await using var upstream = await EchoUpstream.StartAsync(cancellationToken: Ct);
        var port = LoopbackPort.GetFree();
        var client = await provider.RegisterClientAsync($"http://127.0.0.1:{port}/auth/new-token/datapass", ct: Ct);
        await using var gateway = await AotGateway.StartAsync(upstream,
        [
            $"--ConnectionStrings:Redis={redisServer.ConnectionString}",
            $"--ConnectionStrings:Postgres={database}",
            $"--Gateway:PublicUrl=http://127.0.0.1:{port}",
            $"--Gateway:Login:AllowedOrigins:0={DocsOrigin}",
            $"--Gateway:Login:Providers:datapass:Authority={provider.Issuer}",
            $"--Gateway:Login:Providers:datapass:ClientId={client.ClientId}",
            $"--Gateway:Login:Providers:datapass:ClientSecret={client.ClientSecret}",
            $"--Gateway:Login:Providers:datapass:Scopes={OidcProvider.DataPassScopes}",
            "--Gateway:Login:Providers:datapass:Company=acme",
            "--Gateway:Login:Providers:datapass:DataPass=true",
            "--Gateway:Login:Admins:0=alice.martin@acme.fr",
        ], port);

        using var browser = LoginBed.NewBrowser(gateway.Address);
        using var start = await browser.GetAsync($"/auth/login-datapass?origin={Uri.EscapeDataString(DocsOrigin + "/guide")}", Ct);
        Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);
        var callback = await OidcDevLogin.LoginAsync(browser, start.Headers.Location!, "alice.martin@acme.fr", Ct);
        using var back = await browser.GetAsync(callback, Ct);
        Assert.Equal(HttpStatusCode.Redirect, back.StatusCode);
        var redirect = back.Headers.Location!;
        Assert.Equal(DocsOrigin + "/guide", redirect.GetLeftPart(UriPartial.Path));
        var token = LoginBed.TokenFrom(redirect);
        var claims = LoginBed.Payload(token);
        Assert.Equal("alice.martin@acme.fr", claims.GetProperty("email").GetString());
        Assert.Equal("acme", claims.GetProperty("company").GetString());
        Assert.Equal("admin", claims.GetProperty("role").GetString());

        using var http = gateway.Client();
        using (var check = await http.PostAsync("/auth/check-token", Json(JsonSerializer.Serialize(new { token })), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, check.StatusCode);
        }

        using (var site = new HttpRequestMessage(HttpMethod.Get, "/docs/page"))
        {
            site.Headers.Authorization = new("Bearer", token);
            using var response = await http.SendAsync(site, Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var seen = upstream.Received[^1];
            Assert.Equal(claims.GetProperty("id").GetString(), seen.Header("X-Tribuo-User-Id"));
            Assert.Equal("acme", seen.Header("X-Tribuo-User-Company"));
            Assert.Null(seen.Header("Authorization"));
        }

        // Keys in Redis: created through the admin API, then used.
        using var admin = gateway.Client(AdminSecret);
        var created = await CreateKeyAsync(admin, "redis-key");
        await AssertForwardedAsync(http, upstream, created.Secret, created.Id);

        // The console, as the person just logged in (an admin): a page, then a form post with its anti-forgery field.
        var cookies = new CookieContainer();
        cookies.Add(gateway.Address, new Cookie("tribuo_cloud_token", token));
        using var console = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = true, CookieContainer = cookies })
        {
            BaseAddress = gateway.Address,
        };
        var page = await console.GetStringAsync($"/gateway/console/keys/{created.Id}", Ct);
        var csrf = Regex.Match(page, "name=\"csrf\" value=\"([^\"]+)\"").Groups[1].Value;
        using (var disable = await console.PostAsync($"/gateway/console/keys/{created.Id}/disable",
            new FormUrlEncodedContent([KeyValuePair.Create("csrf", csrf)]), Ct))
        {
            Assert.Equal(HttpStatusCode.Found, disable.StatusCode);
        }

        using var refused = await Send(http, "/api/x", created.Secret);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task A_Zoho_login_gives_the_token_the_sites_know()
    {
        await using var zoho = await ZohoStandIn.StartAsync(Ct);
        await using var upstream = await EchoUpstream.StartAsync(cancellationToken: Ct);
        await using var gateway = await AotGateway.StartAsync(upstream,
            [.. zoho.GatewaySettings().Select(s => $"--{s.Key}={s.Value}"), $"--Gateway:Login:AllowedOrigins:0={DocsOrigin}"]);

        var claims = LoginBed.Payload(LoginBed.TokenFrom(await ZohoLoginTests.LoginAsync(gateway.Address)));
        Assert.Equal("20078284501", claims.GetProperty("id").GetString());
        Assert.Equal("elliot.thiebaut@tribuo.fr", claims.GetProperty("email").GetString());
        Assert.Equal("tribuo", claims.GetProperty("company").GetString());
        Assert.Equal(ZohoStandIn.ClientSecret, zoho.LastTokenRequestSecret);
    }

    private static async Task AssertForwardedAsync(HttpClient http, EchoUpstream upstream, string secret, string keyId)
    {
        using var response = await Send(http, "/api/x", secret);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = upstream.Received[^1];
        Assert.Equal(keyId, seen.Header("X-Tribuo-Key-Id"));
        Assert.False(string.IsNullOrEmpty(seen.Header("X-Tribuo-Assertion")));
        Assert.Null(seen.Header("Authorization"));
    }

    private static async Task<(string Id, string Secret)> CreateKeyAsync(HttpClient admin, string name)
    {
        using var response = await admin.PostAsync("/gateway/keys", Json($$"""{ "id": "{{name}}", "name": "{{name}}", "scopes": ["api"] }"""), Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var key = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        return (key.GetProperty("id").GetString()!, key.GetProperty("secret").GetString()!);
    }

    private static Task<HttpResponseMessage> Send(HttpClient http, string path, string secret)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("Authorization", "KEY " + secret);
        return http.SendAsync(request, Ct);
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static async Task<string> WaitForAsync(Func<Task<string?>> read)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            if (await read() is { Length: > 0 } value)
            {
                return value;
            }

            await Task.Delay(100, Ct);
        }

        throw new TimeoutException("the value did not appear within 10 s");
    }

    private static string Routes(EchoUpstream upstream) => RoutesJson.With(upstream.Address,
        RoutesJson.Route("api", "/api/{**rest}", "key", "\"Scopes\": \"api\""),
        RoutesJson.Route("docs", "/docs/{**rest}", "user", "\"Companies\": \"acme\""));

    /// <summary>The binary on a port of its own, with the two routes above and an admin and a reader key.</summary>
    private sealed class AotGateway : IAsyncDisposable
    {
        private readonly ChildProcess _process;
        private readonly string _directory;

        private AotGateway(string directory, Uri address)
        {
            _process = new ChildProcess(this, 200, directory); // deletes the directory on dispose
            _directory = directory;
            Address = address;
        }

        public Uri Address { get; }

        public string RoutesFile => Path.Combine(_directory, "routes.json");

        public static async Task<AotGateway> StartAsync(EchoUpstream upstream, IEnumerable<string> settings, int port = 0)
        {
            var binary = await NativeAotBinary.RequireAsync();
            var directory = Directory.CreateTempSubdirectory("tgw-aot-").FullName;
            port = port == 0 ? LoopbackPort.GetFree() : port;
            await File.WriteAllTextAsync(Path.Combine(directory, "routes.json"), Routes(upstream), Ct);
            await File.WriteAllTextAsync(Path.Combine(directory, "keys.json"), $$"""
                { "Keys": [
                  { "Id": "admin", "Name": "Admin", "Secret": "{{AdminSecret}}", "Scopes": ["*"] },
                  { "Id": "reader", "Name": "Reader", "Secret": "{{ReaderSecret}}", "Scopes": ["api"] } ] }
                """, Ct);
            var psi = ChildProcess.NewStartInfo(binary, directory,
            [
                $"--urls=http://127.0.0.1:{port}",
                $"--Gateway:RoutesFile={Path.Combine(directory, "routes.json")}",
                $"--Gateway:KeysFile={Path.Combine(directory, "keys.json")}",
                $"--Gateway:DataDir={Path.Combine(directory, "data")}",
                $"--Gateway:Secrets:KeyFile={Path.Combine(directory, "secrets.key")}",
                .. settings,
            ]);
            var gateway = new AotGateway(directory, new Uri($"http://127.0.0.1:{port}"));
            using var probe = gateway.Client();
            try
            {
                await GatewayProcess.StartHealthyAsync(gateway._process, psi, probe, Ct);
                // The keys file is imported in the background once the server listens (README, "Seeding"): wait for its line.
                for (var waited = 0; !gateway._process.RecentLog.Contains("Keys file", StringComparison.Ordinal); waited++)
                {
                    Assert.True(waited < 200, "the keys file was not imported within 20 s: " + gateway._process.RecentLog);
                    await Task.Delay(100, Ct);
                }
            }
            catch
            {
                await gateway.DisposeAsync();
                throw;
            }

            return gateway;
        }

        public HttpClient Client(string? adminSecret = null)
        {
            var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false, ActivityHeadersPropagator = null })
            {
                BaseAddress = Address,
            };
            if (adminSecret is not null)
            {
                client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "KEY " + adminSecret);
            }

            return client;
        }

        public ValueTask DisposeAsync() => _process.DisposeAsync();
    }
}
