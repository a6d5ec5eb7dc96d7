using System.Net;
using System.Net.Http.Headers;
using Tribuo.Gateway.Tests.Infrastructure;
using Xunit;
using static Tribuo.Gateway.Tests.Keys.KeysTestBed;

namespace Tribuo.Gateway.Tests.Keys;

/// <summary>Every route mode against every kind of credential, on a real Redis and a real upstream.</summary>
public sealed class KeyAccessTests(RedisFixture redis) : IClassFixture<RedisFixture>, IAsyncLifetime
{
    private KeysTestBed _bed = null!;
    private GatewayApp _gateway = null!;

    public async ValueTask InitializeAsync()
    {
        _bed = await KeysTestBed.StartAsync(redis.RequireServer());
        _gateway = _bed.StartGateway();
        await _bed.SeedKeysAsync(_gateway);
    }

    public ValueTask DisposeAsync() => _bed.DisposeAsync();

    /// <summary>Credential × expected status on: public, key+scope, key without Scopes, any+scope, user.</summary>
    public static TheoryData<string, string?, int, int, int, int, int> Matrix => new()
    {
        { "none", null, 200, 401, 401, 401, 401 },
        { "unknown key", "KEY tgw_no-such-key-0000000000", 200, 401, 401, 401, 401 },
        { "wrong scheme", $"Bearer {ReaderSecret}", 200, 401, 401, 401, 401 },
        { "empty KEY", "KEY ", 200, 401, 401, 401, 401 },
        { "lowercase scheme, several spaces", $"key    {ReaderSecret}", 200, 200, 403, 200, 403 },
        { "valid without the scope", $"KEY {OtherSecret}", 200, 403, 403, 403, 403 },
        { "valid", $"KEY {ReaderSecret}", 200, 200, 403, 200, 403 },
        { "star", $"KEY {StarSecret}", 200, 200, 200, 200, 403 },
        { "expired", $"KEY {ExpiredSecret}", 200, 401, 401, 401, 401 },
        { "disabled", $"KEY {DisabledSecret}", 200, 401, 401, 401, 401 },
        { "revoked", $"KEY {RevokedSecret}", 200, 401, 401, 401, 401 },
        { "site key without its origin", $"KEY {SiteSecret}", 200, 403, 403, 403, 403 },
    };

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task Status_codes_follow_the_route_mode_and_the_credential(string credential, string? authorization, int publicRoute, int keyRoute, int keyRouteWithoutScopes, int anyRoute, int userRoute)
    {
        var expected = new[] { publicRoute, keyRoute, keyRouteWithoutScopes, anyRoute, userRoute };
        var paths = new[] { "/pub/x", "/docs/x", "/keyonly/x", "/any/x", "/user/x" };
        using var client = _gateway.NewClient();

        for (var i = 0; i < paths.Length; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, paths[i]);
            if (authorization is not null)
            {
                request.Headers.TryAddWithoutValidation("Authorization", authorization);
            }

            using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
            var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            Assert.True(expected[i] == (int)response.StatusCode, $"{credential} on {paths[i]}: expected {expected[i]}, got {(int)response.StatusCode} {body}");

            if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                // A Bearer credential is read as a user token where users may pass, so the challenge names that scheme.
                // A user route without any credential asks for a login the same way.
                var expectedScheme = (authorization?.StartsWith("Bearer", StringComparison.Ordinal) == true && paths[i] is "/any/x" or "/user/x")
                    || (authorization is null && paths[i] == "/user/x") ? "Bearer" : "KEY";
                Assert.StartsWith($"{expectedScheme} realm=\"tribuo\"", response.Headers.WwwAuthenticate.ToString());
            }

            if ((int)response.StatusCode >= 400)
            {
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                Assert.All(AllSecrets, secret => Assert.DoesNotContain(secret, body));
            }
        }
    }

    /// <summary>
    /// A connection's last key is hashed once (Keys/ConnectionKeyHash): every other key sent on the same kept-alive
    /// connection must still be judged as itself, never as the one before it.
    /// </summary>
    [Fact]
    public async Task Keys_taking_turns_on_one_connection_are_each_judged_as_themselves()
    {
        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1, UseCookies = false, ActivityHeadersPropagator = null })
        {
            BaseAddress = _gateway.BaseAddress,
        };
        var turns = new (string? Authorization, HttpStatusCode Expected)[]
        {
            ($"KEY {ReaderSecret}", HttpStatusCode.OK),
            ($"KEY {ReaderSecret}", HttpStatusCode.OK),
            ($"KEY {RevokedSecret}", HttpStatusCode.Unauthorized),
            ($"KEY {ReaderSecret}", HttpStatusCode.OK),
            ($"KEY {ReaderSecret}x", HttpStatusCode.Unauthorized),
            ($"KEY {ReaderSecret[..^1]}", HttpStatusCode.Unauthorized),
            ($"KEY {OtherSecret}", HttpStatusCode.Forbidden),
            ($"key  {ReaderSecret}", HttpStatusCode.OK),
            (null, HttpStatusCode.Unauthorized),
            ($"KEY {ExpiredSecret}", HttpStatusCode.Unauthorized),
            ($"KEY {ReaderSecret}", HttpStatusCode.OK),
        };

        foreach (var (authorization, expected) in turns)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/docs/x");
            if (authorization is not null)
            {
                request.Headers.TryAddWithoutValidation("Authorization", authorization);
            }

            using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
            Assert.True(expected == response.StatusCode, $"{authorization?[..8]}…: expected {(int)expected}, got {(int)response.StatusCode}");
        }
    }

    [Theory]
    [InlineData("expired", ExpiredSecret, "expired")]
    [InlineData("disabled", DisabledSecret, "disabled")]
    [InlineData("revoked", RevokedSecret, "revoked")]
    public async Task Refusals_say_why(string id, string secret, string word)
    {
        using var client = _gateway.NewClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/docs/x");
        request.Headers.Authorization = new AuthenticationHeaderValue("KEY", secret);

        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Contains($"'{id}'", body);
        Assert.Contains(word, body);
    }

    [Fact]
    public async Task The_upstream_gets_the_key_identity_and_neither_the_secret_nor_forged_identity()
    {
        var raw = $"GET /docs/who HTTP/1.1\r\nHost: localhost\r\nAuthorization: KEY {ReaderSecret}\r\n"
            + "X-Tribuo-Key-Id: star\r\nx-tribuo-key-scopes: *\r\nX_Tribuo_User_Role: admin\r\nX-TRIBUO-USER-ID: 1\r\nx_tribuo-assertion: forged\r\n"
            + "Connection: X-Tribuo-User-Email, close\r\nX-Tribuo-User-Email: boss@tribuo.fr\r\n\r\n";

        var response = await RawHttp.SendAsync(_gateway.BaseAddress, raw);

        Assert.StartsWith("HTTP/1.1 200", response);
        var echoed = _bed.Upstream.Received.Last(r => r.Path == "/docs/who");
        Assert.Equal(["reader"], echoed.Headers["X-Tribuo-Key-Id"]);
        Assert.Equal(["docs:read api"], echoed.Headers["X-Tribuo-Key-Scopes"]);
        Assert.Equal(["X-Tribuo-Assertion", "X-Tribuo-Key-Id", "X-Tribuo-Key-Scopes"],
            echoed.Headers.Keys.Where(k => k.Replace('_', '-').StartsWith("x-tribuo-", StringComparison.OrdinalIgnoreCase)).Order(StringComparer.OrdinalIgnoreCase));
        Assert.False(echoed.Headers.ContainsKey("Authorization"));
        Assert.DoesNotContain(echoed.Headers.Values.SelectMany(v => v), v => v.Contains(ReaderSecret));
    }

    [Fact]
    public async Task ForwardAuthorization_passes_the_header_on_when_the_route_asks()
    {
        using var client = _gateway.NewClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/fwd/x");
        request.Headers.TryAddWithoutValidation("Authorization", $"KEY {ReaderSecret}");

        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($"KEY {ReaderSecret}", _bed.Upstream.Received.Last(r => r.Path == "/fwd/x").Header("Authorization"));
    }

    [Fact]
    public async Task A_site_key_works_from_its_origin_with_CORS_and_preflights_are_answered_by_the_gateway()
    {
        using var client = _gateway.NewClient();

        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/docs/page");
        preflight.Headers.Add("Origin", SiteOrigin);
        preflight.Headers.Add("Access-Control-Request-Method", "GET");
        preflight.Headers.Add("Access-Control-Request-Headers", "authorization");
        using (var answer = await client.SendAsync(preflight, TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.NoContent, answer.StatusCode);
            Assert.Equal(SiteOrigin, answer.Headers.GetValues("Access-Control-Allow-Origin").Single());
            Assert.Contains("Authorization", answer.Headers.GetValues("Access-Control-Allow-Headers").Single());
        }

        using var evil = new HttpRequestMessage(HttpMethod.Options, "/docs/page");
        evil.Headers.Add("Origin", "https://docs.tribuo.cloud.evil.com");
        evil.Headers.Add("Access-Control-Request-Method", "GET");
        using (var answer = await client.SendAsync(evil, TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.Forbidden, answer.StatusCode);
            Assert.False(answer.Headers.Contains("Access-Control-Allow-Origin"));
        }

        // A route the site key's scopes do not reach gets no preflight either.
        using var otherRoute = new HttpRequestMessage(HttpMethod.Options, "/any/x");
        otherRoute.Headers.Add("Origin", SiteOrigin);
        otherRoute.Headers.Add("Access-Control-Request-Method", "GET");
        Assert.Equal(HttpStatusCode.Forbidden, (await client.SendAsync(otherRoute, TestContext.Current.CancellationToken)).StatusCode);
        Assert.DoesNotContain(_bed.Upstream.Received, r => r.Method == "OPTIONS");

        using var get = new HttpRequestMessage(HttpMethod.Get, "/docs/page");
        get.Headers.Add("Origin", SiteOrigin);
        get.Headers.TryAddWithoutValidation("Authorization", $"KEY {SiteSecret}");
        using var response = await client.SendAsync(get, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(SiteOrigin, response.Headers.GetValues("Access-Control-Allow-Origin").Single());

        using var wrongOrigin = new HttpRequestMessage(HttpMethod.Get, "/docs/page");
        wrongOrigin.Headers.Add("Origin", "https://elsewhere.example");
        wrongOrigin.Headers.TryAddWithoutValidation("Authorization", $"KEY {SiteSecret}");
        Assert.Equal(HttpStatusCode.Forbidden, (await client.SendAsync(wrongOrigin, TestContext.Current.CancellationToken)).StatusCode);
    }

    [Fact]
    public async Task No_secret_reaches_a_log_line()
    {
        using var client = _gateway.NewClient();
        foreach (var secret in AllSecrets)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/docs/x?token={secret}");
            request.Headers.TryAddWithoutValidation("Authorization", $"KEY {secret}");
            (await client.SendAsync(request, TestContext.Current.CancellationToken)).Dispose();
        }

        Assert.NotEmpty(_gateway.Logs);
        Assert.All(AllSecrets, secret => Assert.DoesNotContain(_gateway.Logs, line => line.Contains(secret)));
    }
}
