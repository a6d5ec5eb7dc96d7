using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Web;
using Xunit;

namespace Tribuo.Gateway.Tests.Infrastructure;

/// <summary>
/// The test OpenID Connect provider (oidc-provider playing DataPass) on its own, with a hand-written relying party:
/// dynamic registration, code flow with PKCE through the development login form, token endpoint (both client
/// authentication methods), id_token, userinfo, restart on the same port.
/// </summary>
public sealed class OidcProviderTests(OidcProviderFixture oidc) : IClassFixture<OidcProviderFixture>
{
    private const string RedirectUri = "http://127.0.0.1:1/auth/new-token/datapass";

    [Fact]
    public async Task Discovery_describes_a_DataPass_like_provider_with_PKCE_S256()
    {
        var provider = oidc.RequireProvider();
        var ct = TestContext.Current.CancellationToken;
        Assert.Equal($"http://127.0.0.1:{provider.Port}", provider.Issuer);

        using var http = new HttpClient();
        using var discovery = JsonDocument.Parse(await http.GetStringAsync(provider.DiscoveryUrl, ct));
        var root = discovery.RootElement;
        Assert.Equal(provider.Issuer, root.GetProperty("issuer").GetString());
        Assert.Equal(["S256"], Strings(root.GetProperty("code_challenge_methods_supported")));
        Assert.Equal(["openid", "email", "profile", "organizations"], Strings(root.GetProperty("scopes_supported")));
        Assert.Contains("code", Strings(root.GetProperty("response_types_supported")));
        Assert.Contains("client_secret_basic", Strings(root.GetProperty("token_endpoint_auth_methods_supported")));
        Assert.Contains("client_secret_post", Strings(root.GetProperty("token_endpoint_auth_methods_supported")));
        Assert.Equal(provider.AuthorizationEndpoint, root.GetProperty("authorization_endpoint").GetString());
        Assert.Equal(provider.TokenEndpoint, root.GetProperty("token_endpoint").GetString());
        Assert.Equal(provider.UserinfoEndpoint, root.GetProperty("userinfo_endpoint").GetString());
        Assert.Equal(provider.RegistrationEndpoint, root.GetProperty("registration_endpoint").GetString());
        Assert.StartsWith(provider.Issuer + "/", provider.JwksUri, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("client_secret_basic")]
    [InlineData("client_secret_post")]
    public async Task Code_flow_with_PKCE_through_the_dev_login_form_gives_id_token_and_userinfo(string authMethod)
    {
        var provider = oidc.RequireProvider();
        var ct = TestContext.Current.CancellationToken;
        var client = await provider.RegisterClientAsync(RedirectUri, authMethod, ct);
        Assert.False(string.IsNullOrEmpty(client.ClientId));
        Assert.False(string.IsNullOrEmpty(client.ClientSecret));

        var flow = AuthorizationRequest.Create(provider, client, RedirectUri);
        using var browser = NewBrowser();
        var callback = await OidcDevLogin.LoginAsync(browser, flow.Url, "alice.martin@acme.fr", ct);

        Assert.Equal(RedirectUri, callback.GetLeftPart(UriPartial.Path));
        var (code, state) = OidcDevLogin.ParseCallback(callback);
        Assert.Equal(flow.State, state);
        Assert.Equal(provider.Issuer, HttpUtility.ParseQueryString(callback.Query)["iss"]);

        using var tokens = await ExchangeAsync(provider, client, authMethod, code, flow.CodeVerifier, ct);
        var tokenResponse = tokens.RootElement;
        Assert.Equal("Bearer", tokenResponse.GetProperty("token_type").GetString(), ignoreCase: true);
        var idToken = tokenResponse.GetProperty("id_token").GetString()!;
        var accessToken = tokenResponse.GetProperty("access_token").GetString()!;

        await AssertSignedByProviderAsync(provider, idToken, ct);
        using var payload = JwtPayload(idToken);
        var claims = payload.RootElement;
        Assert.Equal(flow.Nonce, claims.GetProperty("nonce").GetString());
        Assert.Equal(provider.Issuer, claims.GetProperty("iss").GetString());
        Assert.Equal(client.ClientId, claims.GetProperty("aud").GetString());
        Assert.Equal("alice.martin@acme.fr", claims.GetProperty("sub").GetString());
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Assert.InRange(claims.GetProperty("exp").GetInt64(), now + 3000, now + 3700);

        using var userinfo = await UserinfoAsync(provider, accessToken, ct);
        var user = userinfo.RootElement;
        Assert.Equal("alice.martin@acme.fr", user.GetProperty("sub").GetString());
        Assert.Equal("alice.martin@acme.fr", user.GetProperty("email").GetString());
        Assert.True(user.GetProperty("email_verified").GetBoolean());
        Assert.Equal("Alice Martin", user.GetProperty("name").GetString());
        Assert.Equal("Alice", user.GetProperty("given_name").GetString());
        Assert.Equal("Martin", user.GetProperty("family_name").GetString());
        var organization = user.GetProperty("organizations")[0];
        Assert.Equal("13002526500013", organization.GetProperty("siret").GetString());
        Assert.Equal(1, organization.GetProperty("id").GetInt32());
        Assert.Equal("DINUM", organization.GetProperty("label").GetString());
    }

    [Fact]
    public async Task Claims_follow_the_login_siret_non_ASCII_names_and_logins_without_at_sign()
    {
        var provider = oidc.RequireProvider();
        var ct = TestContext.Current.CancellationToken;
        var client = await provider.RegisterClientAsync(RedirectUri, "client_secret_post", ct);

        using (var user = await LoginAndGetUserinfoAsync(provider, client, "élodie+siret12345678901234@acme.fr", ct))
        {
            var u = user.RootElement;
            Assert.Equal("élodie+siret12345678901234@acme.fr", u.GetProperty("email").GetString());
            Assert.Equal("Élodie", u.GetProperty("name").GetString());
            Assert.Equal("12345678901234", u.GetProperty("organizations")[0].GetProperty("siret").GetString());
        }

        using (var user = await LoginAndGetUserinfoAsync(provider, client, "jean-pierre_dupont", ct))
        {
            var u = user.RootElement;
            Assert.Equal("jean-pierre_dupont", u.GetProperty("sub").GetString());
            Assert.Equal("jean-pierre_dupont@example.org", u.GetProperty("email").GetString());
            Assert.Equal("Jean-Pierre Dupont", u.GetProperty("name").GetString());
            Assert.Equal("13002526500013", u.GetProperty("organizations")[0].GetProperty("siret").GetString());
        }
    }

    [Fact]
    public async Task PKCE_is_required_and_the_code_verifier_is_checked()
    {
        var provider = oidc.RequireProvider();
        var ct = TestContext.Current.CancellationToken;
        var client = await provider.RegisterClientAsync(RedirectUri, "client_secret_basic", ct);

        // No code_challenge: the provider sends the browser back with an error, without showing a form.
        var flow = AuthorizationRequest.Create(provider, client, RedirectUri);
        var withoutPkce = RemoveQuery(flow.Url, "code_challenge", "code_challenge_method");
        using (var browser = NewBrowser())
        {
            var callback = await OidcDevLogin.LoginAsync(browser, withoutPkce, "alice@acme.fr", ct);
            var query = HttpUtility.ParseQueryString(callback.Query);
            Assert.Equal("invalid_request", query["error"]);
            Assert.Contains("PKCE", query["error_description"], StringComparison.Ordinal);
            Assert.Throws<InvalidOperationException>(() => OidcDevLogin.ParseCallback(callback));
        }

        // A wrong code_verifier at the token endpoint: invalid_grant.
        using (var browser = NewBrowser())
        {
            var callback = await OidcDevLogin.LoginAsync(browser, flow.Url, "alice@acme.fr", ct);
            var (code, _) = OidcDevLogin.ParseCallback(callback);
            using var http = new HttpClient();
            using var request = TokenRequest(provider, client, "client_secret_basic", code, Pkce.NewVerifier());
            using var response = await http.SendAsync(request, ct);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("invalid_grant", await response.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_provider_session_skips_the_form_on_a_second_authorization()
    {
        var provider = oidc.RequireProvider();
        var ct = TestContext.Current.CancellationToken;
        var client = await provider.RegisterClientAsync(RedirectUri, "client_secret_basic", ct);
        using var browser = NewBrowser();

        var first = AuthorizationRequest.Create(provider, client, RedirectUri);
        OidcDevLogin.ParseCallback(await OidcDevLogin.LoginAsync(browser, first.Url, "bob@acme.fr", ct));

        // Same cookies: no form, straight back with a code for the same user (the login argument is ignored).
        var second = AuthorizationRequest.Create(provider, client, RedirectUri);
        using (var direct = await browser.GetAsync(second.Url, ct))
        {
            Assert.Equal(HttpStatusCode.SeeOther, direct.StatusCode);
            Assert.StartsWith(RedirectUri + "?", direct.Headers.Location!.ToString(), StringComparison.Ordinal);
        }

        var third = AuthorizationRequest.Create(provider, client, RedirectUri);
        var (code, _) = OidcDevLogin.ParseCallback(await OidcDevLogin.LoginAsync(browser, third.Url, "someone-else@acme.fr", ct));
        using var tokens = await ExchangeAsync(provider, client, "client_secret_basic", code, third.CodeVerifier, ct);
        using var payload = JwtPayload(tokens.RootElement.GetProperty("id_token").GetString()!);
        Assert.Equal("bob@acme.fr", payload.RootElement.GetProperty("sub").GetString());
    }

    [Fact]
    public async Task Stopped_provider_refuses_connections_and_comes_back_on_the_same_port_with_its_clients_and_keys()
    {
        var provider = oidc.RequireProvider();
        var ct = TestContext.Current.CancellationToken;
        var port = provider.Port;
        var client = await provider.RegisterClientAsync(RedirectUri, "client_secret_post", ct);
        using var http = new HttpClient();
        var jwksBefore = await http.GetStringAsync(provider.JwksUri, ct);

        await provider.StopAsync();
        try
        {
            Assert.False(provider.IsRunning);
            using var tcp = new TcpClient();
            await Assert.ThrowsAnyAsync<SocketException>(() => tcp.ConnectAsync(IPAddress.Loopback, port, ct).AsTask());
        }
        finally
        {
            await provider.StartAsync();
        }

        Assert.True(provider.IsRunning);
        Assert.Equal(port, provider.Port);
        Assert.Equal($"http://127.0.0.1:{port}", provider.Issuer);
        using var fresh = new HttpClient();
        Assert.Equal(jwksBefore, await fresh.GetStringAsync(provider.JwksUri, ct));

        // The client registered before the restart still works.
        using var user = await LoginAndGetUserinfoAsync(provider, client, "carol@acme.fr", ct, "client_secret_post");
        Assert.Equal("carol@acme.fr", user.RootElement.GetProperty("email").GetString());
    }

    [Fact]
    public async Task Without_auto_consent_the_driver_submits_the_consent_screen()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var provider = await OidcProvider.StartOrSkipAsync(autoConsent: false);
        Assert.False(provider.AutoConsent);
        var client = await provider.RegisterClientAsync(RedirectUri, "client_secret_basic", ct);
        var flow = AuthorizationRequest.Create(provider, client, RedirectUri);

        // By hand first: after the login form comes the consent form.
        using (var browser = NewBrowser())
        {
            using var start = await browser.GetAsync(flow.Url, ct);
            var interaction = new Uri(flow.Url, start.Headers.Location!);
            var loginPage = await browser.GetStringAsync(interaction, ct);
            var loginForm = Assert.Single(OidcDevLogin.ParseForms(loginPage));
            using var submitted = await browser.PostAsync(new Uri(interaction, loginForm.Action), new FormUrlEncodedContent(
                [new("prompt", "login"), new("login", "dave@acme.fr"), new("password", "x")]), ct);
            using var resumed = await browser.GetAsync(new Uri(interaction, submitted.Headers.Location!), ct);
            var consentUrl = new Uri(interaction, resumed.Headers.Location!);
            Assert.Equal(provider.Issuer, consentUrl.GetLeftPart(UriPartial.Authority));
            var consentPage = await browser.GetStringAsync(consentUrl, ct);
            Assert.Contains(OidcDevLogin.ParseForms(consentPage), f => f.Fields.Contains(("prompt", "consent")));
        }

        // The driver goes through both forms.
        using (var browser = NewBrowser())
        {
            var (code, state) = OidcDevLogin.ParseCallback(await OidcDevLogin.LoginAsync(browser, flow.Url, "dave@acme.fr", ct));
            Assert.Equal(flow.State, state);
            using var tokens = await ExchangeAsync(provider, client, "client_secret_basic", code, flow.CodeVerifier, ct);
            using var user = await UserinfoAsync(provider, tokens.RootElement.GetProperty("access_token").GetString()!, ct);
            Assert.Equal("dave@acme.fr", user.RootElement.GetProperty("email").GetString());
            Assert.Equal("13002526500013", user.RootElement.GetProperty("organizations")[0].GetProperty("siret").GetString());
        }
    }

    [Fact]
    public void Form_parser_reads_actions_hidden_inputs_and_decodes_entities()
    {
        const string html = """
            <html><body>
            <FORM autocomplete="off" action="http://127.0.0.1:5/interaction/a&amp;b?x=1&#x26;y=2" method="post">
              <input type="hidden" name="prompt" value="login"/>
              <input required type=text name='login' placeholder="Enter any login" value="a&quot;b">
              <input required type="password" name="password">
              <input type="checkbox" name="remember">
              <input type="submit" name="go" value="Go">
              <button type="submit">Sign-in</button>
            </FORM>
            <form action="/other"><input name="q" value="&eacute;t&eacute;"></form>
            </body></html>
            """;
        var forms = OidcDevLogin.ParseForms(html);
        Assert.Equal(2, forms.Count);
        Assert.Equal("http://127.0.0.1:5/interaction/a&b?x=1&y=2", forms[0].Action);
        Assert.Equal("post", forms[0].Method);
        Assert.Equal([("prompt", "login"), ("login", "a\"b"), ("password", "")], forms[0].Fields);
        Assert.Equal("/other", forms[1].Action);
        Assert.Equal([("q", "été")], forms[1].Fields);
    }

    private static HttpClient NewBrowser() =>
        new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = true, CookieContainer = new CookieContainer() });

    private static async Task<JsonDocument> LoginAndGetUserinfoAsync(
        OidcProvider provider, OidcClient client, string login, CancellationToken ct, string authMethod = "client_secret_post")
    {
        var flow = AuthorizationRequest.Create(provider, client, RedirectUri);
        using var browser = NewBrowser();
        var callback = await OidcDevLogin.LoginAsync(browser, flow.Url, login, ct);
        var (code, state) = OidcDevLogin.ParseCallback(callback);
        Assert.Equal(flow.State, state);
        using var tokens = await ExchangeAsync(provider, client, authMethod, code, flow.CodeVerifier, ct);
        using var payload = JwtPayload(tokens.RootElement.GetProperty("id_token").GetString()!);
        Assert.Equal(login, payload.RootElement.GetProperty("sub").GetString());
        Assert.Equal(flow.Nonce, payload.RootElement.GetProperty("nonce").GetString());
        return await UserinfoAsync(provider, tokens.RootElement.GetProperty("access_token").GetString()!, ct);
    }

    private static HttpRequestMessage TokenRequest(OidcProvider provider, OidcClient client, string authMethod, string code, string codeVerifier)
    {
        var form = new List<KeyValuePair<string, string>>
        {
            new("grant_type", "authorization_code"),
            new("code", code),
            new("redirect_uri", RedirectUri),
            new("code_verifier", codeVerifier),
        };
        var request = new HttpRequestMessage(HttpMethod.Post, provider.TokenEndpoint);
        if (authMethod == "client_secret_basic")
        {
            var credentials = $"{Uri.EscapeDataString(client.ClientId)}:{Uri.EscapeDataString(client.ClientSecret)}";
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));
        }
        else
        {
            form.Add(new("client_id", client.ClientId));
            form.Add(new("client_secret", client.ClientSecret));
        }

        request.Content = new FormUrlEncodedContent(form);
        return request;
    }

    private static async Task<JsonDocument> ExchangeAsync(
        OidcProvider provider, OidcClient client, string authMethod, string code, string codeVerifier, CancellationToken ct)
    {
        using var http = new HttpClient();
        using var request = TokenRequest(provider, client, authMethod, code, codeVerifier);
        using var response = await http.SendAsync(request, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"token endpoint answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body);
    }

    private static async Task<JsonDocument> UserinfoAsync(OidcProvider provider, string accessToken, CancellationToken ct)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, provider.UserinfoEndpoint);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        using var response = await http.SendAsync(request, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"userinfo answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body);
    }

    private static async Task AssertSignedByProviderAsync(OidcProvider provider, string jwt, CancellationToken ct)
    {
        var parts = jwt.Split('.');
        Assert.Equal(3, parts.Length);
        using var header = JsonDocument.Parse(Base64UrlDecode(parts[0]));
        Assert.Equal("RS256", header.RootElement.GetProperty("alg").GetString());
        var kid = header.RootElement.GetProperty("kid").GetString();

        using var http = new HttpClient();
        using var jwks = JsonDocument.Parse(await http.GetStringAsync(provider.JwksUri, ct));
        var key = jwks.RootElement.GetProperty("keys").EnumerateArray().Single(k => k.GetProperty("kid").GetString() == kid);
        Assert.False(key.TryGetProperty("d", out _), "the JWKS must not publish the private key");
        using var rsa = RSA.Create(new RSAParameters
        {
            Modulus = Base64UrlDecode(key.GetProperty("n").GetString()!),
            Exponent = Base64UrlDecode(key.GetProperty("e").GetString()!),
        });
        Assert.True(rsa.VerifyData(
            Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]),
            Base64UrlDecode(parts[2]),
            HashAlgorithmName.SHA256,
            RSASignaturePadding.Pkcs1), "id_token signature does not verify with the provider's JWKS");
    }

    private static JsonDocument JwtPayload(string jwt) => JsonDocument.Parse(Base64UrlDecode(jwt.Split('.')[1]));

    private static byte[] Base64UrlDecode(string s)
    {
        var b = s.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(b.PadRight(b.Length + ((4 - (b.Length % 4)) % 4), '='));
    }

    private static string[] Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString()!).ToArray();

    private static Uri RemoveQuery(Uri url, params string[] names)
    {
        var query = HttpUtility.ParseQueryString(url.Query);
        foreach (var name in names)
        {
            query.Remove(name);
        }

        return new UriBuilder(url) { Query = query.ToString() }.Uri;
    }

    private static class Pkce
    {
        public static string NewVerifier() => Base64Url(RandomNumberGenerator.GetBytes(32));

        public static string Challenge(string verifier) => Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));

        public static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    private sealed record AuthorizationRequest(Uri Url, string State, string Nonce, string CodeVerifier)
    {
        public static AuthorizationRequest Create(OidcProvider provider, OidcClient client, string redirectUri)
        {
            var state = Pkce.Base64Url(RandomNumberGenerator.GetBytes(16));
            var nonce = Pkce.Base64Url(RandomNumberGenerator.GetBytes(16));
            var verifier = Pkce.NewVerifier();
            var query = string.Join("&", new[]
            {
                ("response_type", "code"),
                ("client_id", client.ClientId),
                ("redirect_uri", redirectUri),
                ("scope", OidcProvider.DataPassScopes),
                ("state", state),
                ("nonce", nonce),
                ("code_challenge", Pkce.Challenge(verifier)),
                ("code_challenge_method", "S256"),
            }.Select(p => $"{p.Item1}={Uri.EscapeDataString(p.Item2)}"));
            return new AuthorizationRequest(new Uri($"{provider.AuthorizationEndpoint}?{query}"), state, nonce, verifier);
        }
    }
}
