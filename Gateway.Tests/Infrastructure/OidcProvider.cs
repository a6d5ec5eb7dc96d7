using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using System.Web;
using Xunit;

namespace Tribuo.Gateway.Tests.Infrastructure;

/// <summary>
/// A real OpenID Connect provider for end-to-end tests: <c>node Gateway.Tests/oidc/server.mjs</c>, i.e. the
/// npm package <c>oidc-provider</c> (9.x) playing "DataPass", on a free loopback port, issuer
/// <c>http://127.0.0.1:PORT</c>. It has the development login form (any login, any password; drive it with
/// <see cref="OidcDevLogin"/>), open dynamic client registration (<see cref="RegisterClientAsync(string, string, CancellationToken)"/>),
/// PKCE (S256) required, consent auto-granted, scopes <c>openid email profile organizations</c>.
/// </summary>
/// <remarks>
/// <para>Claims are derived from the login typed in the form (see <c>accountClaims</c> in server.mjs):
/// <c>sub</c> = the login; <c>email</c> = the login, or <c>login@example.org</c> when it has no '@';
/// <c>name</c> = "Alice Martin" for <c>alice.martin@acme.fr</c>; <c>organizations</c> =
/// <c>[{ id: 1, siret: "13002526500013", label: "DINUM" }]</c>, or the 14 digits after <c>+siret</c> in the login.</para>
/// <para><see cref="StopAsync"/> kills the process (provider unreachable); <see cref="StartAsync"/> brings it back on
/// the same port with the same issuer, signing key and registered clients (kept in <see cref="StateDirectory"/>);
/// sessions, codes and tokens issued before the restart are gone.</para>
/// <para>node is taken from <c>TRIBUO_TEST_NODE</c>, else <c>node</c> on PATH. When
/// <c>Gateway.Tests/oidc/node_modules</c> is missing, <c>npm ci</c> runs there once (CI does it in .ci/run).</para>
/// </remarks>
public sealed class OidcProvider : IAsyncDisposable
{
    public const string NodeEnvironmentVariable = "TRIBUO_TEST_NODE";
    public const string DirectoryEnvironmentVariable = "TRIBUO_TEST_OIDC_DIR";

    /// <summary>The scopes the provider knows (DataPass's).</summary>
    public const string DataPassScopes = "openid email profile organizations";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan NpmTimeout = TimeSpan.FromMinutes(5);
    private static readonly SemaphoreSlim NpmGate = new(1, 1);
    private static string? _npmFailure;

    private readonly ChildProcess _process;

    private OidcProvider(string node, string oidcDirectory, string stateDirectory, int port, bool autoConsent)
    {
        AutoConsent = autoConsent;
        Node = node;
        OidcDirectory = oidcDirectory;
        StateDirectory = stateDirectory;
        Port = port;
        _process = new ChildProcess(this, logLines: 60, scratchDirectory: stateDirectory);
    }

    /// <summary>Path of the node binary in use.</summary>
    public string Node { get; }

    /// <summary>
    /// True (the default): every requested scope is granted without a consent screen. False: the development
    /// consent screen appears after the login form for each new grant (<see cref="OidcDevLogin"/> submits it).
    /// </summary>
    public bool AutoConsent { get; }

    /// <summary>The <c>Gateway.Tests/oidc</c> folder (server.mjs, node_modules).</summary>
    public string OidcDirectory { get; }

    /// <summary>Where the signing key and the registered clients are kept across restarts (deleted on dispose).</summary>
    public string StateDirectory { get; }

    /// <summary>Loopback TCP port; stays the same across <see cref="StopAsync"/>/<see cref="StartAsync"/>.</summary>
    public int Port { get; }

    /// <summary><c>http://127.0.0.1:PORT</c>, no trailing slash: the <c>iss</c> of its tokens and the OIDC <c>Authority</c>.</summary>
    public string Issuer => $"http://127.0.0.1:{Port}";

    /// <summary><c>{Issuer}/.well-known/openid-configuration</c>.</summary>
    public string DiscoveryUrl => Issuer + "/.well-known/openid-configuration";

    /// <summary>Endpoints read from discovery at start.</summary>
    public string AuthorizationEndpoint { get; private set; } = "";
    public string TokenEndpoint { get; private set; } = "";
    public string UserinfoEndpoint { get; private set; } = "";
    public string RegistrationEndpoint { get; private set; } = "";
    public string JwksUri { get; private set; } = "";

    /// <summary>True while the node process is alive.</summary>
    public bool IsRunning => _process.IsRunning;

    /// <summary>The last lines the server wrote (for diagnostics).</summary>
    public string RecentLog => _process.RecentLog;

    /// <summary>The node binary to use, or null when none is installed.</summary>
    public static string? FindNode()
    {
        var configured = Environment.GetEnvironmentVariable(NodeEnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return File.Exists(configured) ? Path.GetFullPath(configured) : null;
        }

        return ChildProcess.FindOnPath("node");
    }

    /// <summary>
    /// The <c>Gateway.Tests/oidc</c> folder: <c>TRIBUO_TEST_OIDC_DIR</c>, else found by walking up from the test
    /// assembly's directory to the folder holding <c>Tribuo.Gateway.sln</c>. Null when not found.
    /// </summary>
    public static string? FindOidcDirectory()
    {
        var configured = Environment.GetEnvironmentVariable(DirectoryEnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return File.Exists(Path.Combine(configured, "server.mjs")) ? Path.GetFullPath(configured) : null;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Tribuo.Gateway.sln")))
            {
                var candidate = Path.Combine(dir.FullName, "Gateway.Tests", "oidc");
                return File.Exists(Path.Combine(candidate, "server.mjs")) ? candidate : null;
            }
        }

        return null;
    }

    /// <summary>
    /// Starts a new provider, or skips the current test (fails it when CI=true) when node or oidc-provider is
    /// unavailable or the server does not come up. Call it from inside a test.
    /// </summary>
    public static async Task<OidcProvider> StartOrSkipAsync(bool autoConsent = true)
    {
        try
        {
            return await StartNewAsync(autoConsent).ConfigureAwait(false);
        }
        catch (TestServerUnavailableException e)
        {
            ServerRequirement.SkipOrFail(e.Message);
            throw; // unreachable
        }
    }

    /// <summary>
    /// Starts a new provider on a free loopback port and waits until discovery answers 200 (20 s at most). Throws
    /// <see cref="TestServerUnavailableException"/> when node is missing, oidc-provider is not installed and cannot
    /// be (npm ci), or the server does not come up. <paramref name="autoConsent"/>: see <see cref="AutoConsent"/>.
    /// </summary>
    public static async Task<OidcProvider> StartNewAsync(bool autoConsent = true)
    {
        var node = FindNode();
        if (node is null)
        {
            var configured = Environment.GetEnvironmentVariable(NodeEnvironmentVariable);
            throw new TestServerUnavailableException(string.IsNullOrWhiteSpace(configured)
                ? "node not found on PATH (Node 20 or later is needed for the test OpenID Connect provider), or set " + NodeEnvironmentVariable
                : $"{NodeEnvironmentVariable}={configured} does not exist");
        }

        var oidcDirectory = FindOidcDirectory()
            ?? throw new TestServerUnavailableException(
                $"Gateway.Tests/oidc/server.mjs not found above {AppContext.BaseDirectory} (looked for Tribuo.Gateway.sln), or set {DirectoryEnvironmentVariable}");
        await EnsurePackagesAsync(oidcDirectory).ConfigureAwait(false);

        return await ChildProcess.StartWithPortRetriesAsync(
            () => new OidcProvider(node, oidcDirectory, Directory.CreateTempSubdirectory("tribuo-oidc-").FullName, LoopbackPort.GetFree(), autoConsent),
            provider => provider.StartAsync(),
            "the test OpenID Connect provider did not start").ConfigureAwait(false);
    }

    /// <summary>
    /// Starts (or restarts after <see cref="StopAsync"/>) the server on <see cref="Port"/> and waits until discovery
    /// answers 200. No-op when already running. Throws <see cref="TestServerUnavailableException"/> on failure.
    /// </summary>
    public async Task StartAsync()
    {
        var psi = ChildProcess.NewStartInfo(Node, OidcDirectory, ["server.mjs"]);
        psi.Environment["PORT"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        psi.Environment["STATE_DIR"] = StateDirectory;
        psi.Environment["CONSENT"] = AutoConsent ? "auto" : "screen";
        psi.Environment.Remove("NODE_OPTIONS");

        using var http = NewHttpClient(TimeSpan.FromSeconds(2));
        await _process.StartAsync(
            psi,
            what: Node,
            ready: async () =>
            {
                var discovery = await TryGetDiscoveryAsync(http).ConfigureAwait(false);
                if (discovery is null)
                {
                    return false;
                }

                ReadEndpoints(discovery.Value);
                return true;
            },
            timeout: StartTimeout,
            pollInterval: TimeSpan.FromMilliseconds(100),
            exited: exitCode => $"the test OpenID Connect provider (node server.mjs in {OidcDirectory}) exited with code {exitCode} while starting on 127.0.0.1:{Port}",
            timedOut: $"the test OpenID Connect provider did not answer {DiscoveryUrl} within {StartTimeout.TotalSeconds:0} s").ConfigureAwait(false);
    }

    /// <summary>Kills the process (provider unreachable: connections refused). The port stays reserved for <see cref="StartAsync"/>.</summary>
    public Task StopAsync() => _process.StopAsync();

    /// <summary>
    /// Registers a client through dynamic registration (open: no initial access token), allowed the code flow to
    /// <paramref name="redirectUri"/> with scopes <see cref="DataPassScopes"/>. <paramref name="tokenEndpointAuthMethod"/>:
    /// <c>client_secret_basic</c> or <c>client_secret_post</c>. The client survives <see cref="StopAsync"/>/<see cref="StartAsync"/>.
    /// </summary>
    public Task<OidcClient> RegisterClientAsync(string redirectUri, string tokenEndpointAuthMethod = "client_secret_basic", CancellationToken ct = default)
        => RegisterClientAsync([redirectUri], tokenEndpointAuthMethod, ct);

    /// <summary>Same as <see cref="RegisterClientAsync(string, string, CancellationToken)"/> with several redirect URIs.</summary>
    public async Task<OidcClient> RegisterClientAsync(IReadOnlyList<string> redirectUris, string tokenEndpointAuthMethod = "client_secret_basic", CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(redirectUris);
        if (redirectUris.Count == 0)
        {
            throw new ArgumentException("at least one redirect URI is needed", nameof(redirectUris));
        }

        var endpoint = RegistrationEndpoint.Length > 0 ? RegistrationEndpoint : Issuer + "/reg";
        var request = new RegistrationRequest(
            redirectUris,
            ["authorization_code"],
            ["code"],
            tokenEndpointAuthMethod,
            DataPassScopes);
        using var http = NewHttpClient(TimeSpan.FromSeconds(10));
        using var response = await http.PostAsJsonAsync(endpoint, request, ct).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Created && response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"client registration at {endpoint} answered {(int)response.StatusCode}: {body}");
        }

        using var json = JsonDocument.Parse(body);
        var root = json.RootElement;
        var clientId = root.GetProperty("client_id").GetString()!;
        var secret = root.TryGetProperty("client_secret", out var s) ? s.GetString() ?? "" : "";
        return new OidcClient(clientId, secret);
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();

    public override string ToString() => $"oidc-provider {Issuer} ({(IsRunning ? "running" : "stopped")})";

    private static async Task EnsurePackagesAsync(string oidcDirectory)
    {
        if (PackageInstalled(oidcDirectory))
        {
            return;
        }

        await NpmGate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (PackageInstalled(oidcDirectory))
            {
                return;
            }

            if (_npmFailure is not null)
            {
                throw new TestServerUnavailableException(_npmFailure);
            }

            var npm = ChildProcess.FindOnPath("npm");
            if (npm is null)
            {
                _npmFailure = $"oidc-provider is not installed in {oidcDirectory}/node_modules and npm is not on PATH: run `npm ci` there";
                throw new TestServerUnavailableException(_npmFailure);
            }

            var hasLock = File.Exists(Path.Combine(oidcDirectory, "package-lock.json"));
            var psi = ChildProcess.NewStartInfo(npm, oidcDirectory, [hasLock ? "ci" : "install", "--no-audit", "--no-fund"]);
            ChildProcess.Completed run;
            try
            {
                run = await ChildProcess.RunAsync(psi, NpmTimeout, $"{npm} in {oidcDirectory}").ConfigureAwait(false);
            }
            catch (TestServerUnavailableException e)
            {
                _npmFailure = e.Message;
                throw;
            }

            if (run.TimedOut)
            {
                _npmFailure = $"npm {(hasLock ? "ci" : "install")} in {oidcDirectory} did not finish within {NpmTimeout.TotalMinutes:0} min";
                throw new TestServerUnavailableException(_npmFailure);
            }

            if (run.ExitCode != 0 || !PackageInstalled(oidcDirectory))
            {
                _npmFailure = $"npm {(hasLock ? "ci" : "install")} in {oidcDirectory} failed (exit code {run.ExitCode}): {ChildProcess.Last(run.Output)}";
                throw new TestServerUnavailableException(_npmFailure);
            }
        }
        finally
        {
            NpmGate.Release();
        }
    }

    private static bool PackageInstalled(string oidcDirectory) =>
        File.Exists(Path.Combine(oidcDirectory, "node_modules", "oidc-provider", "package.json"));

    private async Task<JsonElement?> TryGetDiscoveryAsync(HttpClient http)
    {
        try
        {
            using var response = await http.GetAsync(DiscoveryUrl).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return null;
            }

            var body = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
            using var json = JsonDocument.Parse(body);
            return json.RootElement.Clone();
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or IOException)
        {
            return null;
        }
    }

    private void ReadEndpoints(JsonElement discovery)
    {
        string Get(string name) => discovery.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";
        AuthorizationEndpoint = Get("authorization_endpoint");
        TokenEndpoint = Get("token_endpoint");
        UserinfoEndpoint = Get("userinfo_endpoint");
        RegistrationEndpoint = Get("registration_endpoint");
        JwksUri = Get("jwks_uri");
    }

    private static HttpClient NewHttpClient(TimeSpan timeout) =>
        new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false, PooledConnectionLifetime = TimeSpan.Zero })
        {
            Timeout = timeout,
        };

    private sealed record RegistrationRequest(
        [property: JsonPropertyName("redirect_uris")] IReadOnlyList<string> RedirectUris,
        [property: JsonPropertyName("grant_types")] IReadOnlyList<string> GrantTypes,
        [property: JsonPropertyName("response_types")] IReadOnlyList<string> ResponseTypes,
        [property: JsonPropertyName("token_endpoint_auth_method")] string TokenEndpointAuthMethod,
        [property: JsonPropertyName("scope")] string Scope);
}

/// <summary>A client registered at an <see cref="OidcProvider"/>: the gateway's <c>ClientId</c> / <c>ClientSecret</c>.</summary>
public sealed record OidcClient(string ClientId, string ClientSecret);

/// <summary>
/// xunit v3 class fixture: one <see cref="OidcProvider"/> per test class. It never throws from
/// <see cref="InitializeAsync"/>: when the provider cannot start, the reason is kept and every test that calls
/// <see cref="RequireProvider"/> (or touches <see cref="Provider"/>) is skipped, or failed under CI=true.
/// </summary>
/// <example>
/// <code>
/// public sealed class DataPassLoginTests(OidcProviderFixture oidc) : IClassFixture&lt;OidcProviderFixture&gt;
/// {
///     [Fact]
///     public async Task Logs_in()
///     {
///         var provider = oidc.RequireProvider();     // skip/fail here when node or oidc-provider is missing
///         var client = await provider.RegisterClientAsync($"http://127.0.0.1:{gatewayPort}/auth/new-token/datapass");
///         ...
///     }
/// }
/// </code>
/// </example>
public sealed class OidcProviderFixture : IAsyncLifetime
{
    private readonly FixtureServer<OidcProvider> _provider = new(
        "the OpenID Connect provider fixture was not initialized", "could not start the test OpenID Connect provider");

    /// <summary>The class's provider; skips/fails the current test when it could not be started.</summary>
    public OidcProvider Provider => RequireProvider();

    /// <summary>Why the provider is unavailable, or null when it started.</summary>
    public string? UnavailableReason => _provider.UnavailableReason;

    /// <summary>Returns the provider, or skips (fails when CI=true) the calling test when it could not be started.</summary>
    public OidcProvider RequireProvider() => _provider.Require();

    public ValueTask InitializeAsync() => _provider.StartAsync(() => OidcProvider.StartNewAsync());

    public ValueTask DisposeAsync() => _provider.DisposeAsync();
}

/// <summary>
/// Walks the <see cref="OidcProvider"/>'s development login (and, if one appears, consent) forms with an
/// <see cref="HttpClient"/>, as a browser would, and hands back the redirect to the relying party's callback.
/// </summary>
/// <remarks>
/// The client must not follow redirects itself and must keep cookies, e.g.
/// <c>new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = true, CookieContainer = new() })</c>.
/// The provider remembers a logged-in user in its session cookie: a second authorization request with the same
/// cookies comes straight back without the form (and the <c>login</c> argument is then ignored). Use one
/// CookieContainer per simulated user, or add <c>prompt=login</c> to the authorization URL.
/// </remarks>
public static partial class OidcDevLogin
{
    /// <summary>The password typed in the form (the development form accepts any).</summary>
    public const string Password = "any-password";

    private const int MaxSteps = 20;

    /// <summary>
    /// GETs <paramref name="authorizationUrl"/>, follows the redirects that stay on the provider's origin, fills the
    /// login form with <paramref name="login"/>, submits a consent form if one appears, and returns the first
    /// redirect that leaves the provider (the relying party's callback with <c>code</c>, <c>state</c> and <c>iss</c>,
    /// or with <c>error</c>), without following it.
    /// </summary>
    /// <exception cref="InvalidOperationException">The provider answered something else (an error page, a status
    /// that is neither a redirect nor a form): the message carries the status and the start of the page.</exception>
    public static async Task<Uri> LoginAsync(HttpClient client, Uri authorizationUrl, string login, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(authorizationUrl);
        ArgumentException.ThrowIfNullOrEmpty(login);
        if (!authorizationUrl.IsAbsoluteUri)
        {
            throw new ArgumentException("the authorization URL must be absolute", nameof(authorizationUrl));
        }

        var providerOrigin = Origin(authorizationUrl);
        var loginSubmitted = false;
        var consentSubmitted = false;
        using var first = new HttpRequestMessage(HttpMethod.Get, authorizationUrl);
        var request = first;
        var current = authorizationUrl;

        for (var step = 0; step < MaxSteps; step++)
        {
            using var response = await client.SendAsync(request, ct).ConfigureAwait(false);
            if (!ReferenceEquals(request, first))
            {
                request.Dispose();
            }

            var status = (int)response.StatusCode;
            if (status is >= 300 and < 400)
            {
                var location = response.Headers.Location
                    ?? throw new InvalidOperationException($"{status} from {current} without a Location header");
                var next = location.IsAbsoluteUri ? location : new Uri(current, location);
                if (!string.Equals(Origin(next), providerOrigin, StringComparison.OrdinalIgnoreCase))
                {
                    return next;
                }

                current = next;
                request = new HttpRequestMessage(HttpMethod.Get, next);
                continue;
            }

            var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            if (status != 200)
            {
                throw new InvalidOperationException($"the provider answered {status} at {current}: {Snippet(body)}");
            }

            var forms = ParseForms(body);
            var loginForm = forms.FirstOrDefault(f => f.Fields.Any(x => x.Name == "login"));
            var consentForm = forms.FirstOrDefault(f => f.Fields.Any(x => x.Name == "prompt" && x.Value == "consent"));
            HtmlForm form;
            var fields = new List<KeyValuePair<string, string>>();
            if (loginForm is not null)
            {
                if (loginSubmitted)
                {
                    throw new InvalidOperationException($"the provider showed the login form again at {current} (login refused?): {Snippet(body)}");
                }

                loginSubmitted = true;
                form = loginForm;
                foreach (var (name, value) in form.Fields)
                {
                    fields.Add(new(name, name switch { "login" => login, "password" => Password, _ => value }));
                }

                if (!form.Fields.Any(f => f.Name == "password"))
                {
                    fields.Add(new("password", Password));
                }
            }
            else if (consentForm is not null)
            {
                if (consentSubmitted)
                {
                    throw new InvalidOperationException($"the provider showed the consent form again at {current}: {Snippet(body)}");
                }

                consentSubmitted = true;
                form = consentForm;
                fields.AddRange(form.Fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value)));
            }
            else
            {
                throw new InvalidOperationException($"the provider's page at {current} has neither a login nor a consent form: {Snippet(body)}");
            }

            var action = string.IsNullOrEmpty(form.Action) ? current : new Uri(current, form.Action);
            if (!string.Equals(Origin(action), providerOrigin, StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException($"the form at {current} posts outside the provider, to {action} (response_mode=form_post is not supported by this driver)");
            }

            current = action;
            request = new HttpRequestMessage(HttpMethod.Post, action) { Content = new FormUrlEncodedContent(fields) };
        }

        throw new InvalidOperationException($"no redirect out of the provider after {MaxSteps} steps (last at {current})");
    }

    /// <summary>
    /// The <c>code</c> and <c>state</c> of a callback URL. Throws <see cref="InvalidOperationException"/> when the
    /// callback carries an <c>error</c> (with its description) or no code.
    /// </summary>
    public static (string Code, string State) ParseCallback(Uri callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var query = HttpUtility.ParseQueryString(callback.Query);
        var error = query["error"];
        if (!string.IsNullOrEmpty(error))
        {
            throw new InvalidOperationException($"the provider answered error={error}: {query["error_description"]} ({callback})");
        }

        var code = query["code"];
        if (string.IsNullOrEmpty(code))
        {
            throw new InvalidOperationException($"no code in the callback {callback}");
        }

        return (code, query["state"] ?? "");
    }

    private static string Origin(Uri uri) => uri.GetLeftPart(UriPartial.Authority);

    private static string Snippet(string body)
    {
        var text = WhitespaceRegex().Replace(TagRegex().Replace(body, " "), " ").Trim();
        text = WebUtility.HtmlDecode(text);
        return text.Length <= 600 ? text : text[..600] + "...";
    }

    internal static List<HtmlForm> ParseForms(string html)
    {
        var forms = new List<HtmlForm>();
        foreach (Match form in FormRegex().Matches(html))
        {
            var attributes = ParseAttributes(form.Groups["attrs"].Value);
            var fields = new List<(string Name, string Value)>();
            foreach (Match input in InputRegex().Matches(form.Groups["body"].Value))
            {
                var a = ParseAttributes(input.Groups["attrs"].Value);
                if (!a.TryGetValue("name", out var name) || name.Length == 0)
                {
                    continue;
                }

                var type = a.GetValueOrDefault("type", "text").ToLowerInvariant();
                if (type is "submit" or "button" or "image" or "reset" or "file")
                {
                    continue;
                }

                if (type is "checkbox" or "radio" && !a.ContainsKey("checked"))
                {
                    continue;
                }

                fields.Add((name, a.GetValueOrDefault("value", type is "checkbox" or "radio" ? "on" : "")));
            }

            forms.Add(new HtmlForm(attributes.GetValueOrDefault("action", ""), attributes.GetValueOrDefault("method", "get"), fields));
        }

        return forms;
    }

    private static Dictionary<string, string> ParseAttributes(string attributes)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (Match m in AttributeRegex().Matches(attributes))
        {
            var name = m.Groups["name"].Value;
            var value = m.Groups["dq"].Success ? m.Groups["dq"].Value
                : m.Groups["sq"].Success ? m.Groups["sq"].Value
                : m.Groups["uq"].Success ? m.Groups["uq"].Value
                : "";
            result.TryAdd(name, WebUtility.HtmlDecode(value));
        }

        return result;
    }

    internal sealed record HtmlForm(string Action, string Method, List<(string Name, string Value)> Fields);

    [GeneratedRegex(@"<form\b(?<attrs>[^>]*)>(?<body>.*?)</form\s*>", RegexOptions.IgnoreCase | RegexOptions.Singleline)]
    private static partial Regex FormRegex();

    [GeneratedRegex(@"<input\b(?<attrs>[^>]*)>", RegexOptions.IgnoreCase | RegexOptions.Singleline)]
    private static partial Regex InputRegex();

    [GeneratedRegex(@"(?<name>[^\s""'<>/=]+)(?:\s*=\s*(?:""(?<dq>[^""]*)""|'(?<sq>[^']*)'|(?<uq>[^\s""'=<>`]+)))?", RegexOptions.Singleline)]
    private static partial Regex AttributeRegex();

    [GeneratedRegex(@"<[^>]*>", RegexOptions.Singleline)]
    private static partial Regex TagRegex();

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhitespaceRegex();
}
