using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Tribuo.Gateway.Keys;
using Tribuo.Gateway.Tests.Infrastructure;
using Xunit;
using static Tribuo.Gateway.Tests.Keys.KeysTestBed;

namespace Tribuo.Gateway.Tests.Keys;

/// <summary>
/// What strangers put into a CORS preflight is checked before the gateway echoes any of it: never a 500 for
/// something a client sent (DESIGN §8). Findings of an outside tester.
/// </summary>
public sealed class PreflightInputTests(RedisFixture redis) : IClassFixture<RedisFixture>, IAsyncLifetime
{
    private KeysTestBed _bed = null!;
    private GatewayApp _gateway = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _bed = await KeysTestBed.StartAsync(redis.RequireServer());
        _gateway = _bed.StartGateway();
        await _bed.SeedKeysAsync(_gateway);
    }

    public ValueTask DisposeAsync() => _bed.DisposeAsync();

    /// <summary>A client sending header values as UTF-8, as curl does: HttpClient refuses non-ASCII ones by default.</summary>
    private HttpClient Utf8Client() => new(new SocketsHttpHandler
    {
        UseCookies = false,
        RequestHeaderEncodingSelector = (_, _) => Encoding.UTF8,
    }) { BaseAddress = _gateway.BaseAddress };

    private static HttpRequestMessage Preflight(string path, string origin, string method)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, path);
        request.Headers.TryAddWithoutValidation("Origin", origin);
        request.Headers.TryAddWithoutValidation("Access-Control-Request-Method", method);
        return request;
    }

    [Theory]
    [InlineData("GËT", HttpStatusCode.BadRequest)]
    [InlineData("X Y", HttpStatusCode.BadRequest)]
    [InlineData("GET, POST", HttpStatusCode.BadRequest)]
    [InlineData("", HttpStatusCode.BadRequest)]
    [InlineData("TRACE", HttpStatusCode.Forbidden)]
    [InlineData("track", HttpStatusCode.Forbidden)]
    [InlineData("CONNECT", HttpStatusCode.Forbidden)]
    public async Task A_requested_method_that_is_not_a_served_method_name_is_a_problem_not_an_echo(string method, HttpStatusCode expected)
    {
        using var client = Utf8Client();
        using var request = Preflight("/docs/x", SiteOrigin, method);
        using var response = await client.SendAsync(request, Ct);

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.False(response.Headers.Contains("Access-Control-Allow-Methods"));
        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task A_requested_method_longer_than_32_characters_is_refused_and_one_of_32_is_allowed()
    {
        using var client = Utf8Client();
        using var tooLong = Preflight("/docs/x", SiteOrigin, new string('A', 5000));
        using (var response = await client.SendAsync(tooLong, Ct))
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.False(response.Headers.Contains("Access-Control-Allow-Methods"));
        }

        var longest = new string('A', 32);
        using var atMost = Preflight("/docs/x", SiteOrigin, longest);
        using (var response = await client.SendAsync(atMost, Ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
            Assert.Equal(longest, response.Headers.GetValues("Access-Control-Allow-Methods").Single());
        }
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("PATCH")]
    [InlineData("PROPFIND")]
    public async Task An_allowed_preflight_is_still_a_204_echoing_the_method(string method)
    {
        using var client = Utf8Client();
        using var request = Preflight("/docs/x", SiteOrigin, method);
        using var response = await client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(method, response.Headers.GetValues("Access-Control-Allow-Methods").Single());
        Assert.Equal(SiteOrigin, response.Headers.GetValues("Access-Control-Allow-Origin").Single());
    }

    [Fact]
    public async Task An_internationalized_origin_works_in_the_xn_form_browsers_send()
    {
        const string Origin = "https://xn--bcher-kva.example";
        const string Secret = "tgw_test-idn-site-secret-0008";
        await _gateway.Services.GetRequiredService<KeyService>().CreateAsync(
            new KeySpec { Id = "idn", Name = "IDN site", Secret = Secret, Scopes = ["docs:read"], Origins = [Origin] }, "test", Ct);
        using var client = Utf8Client();

        using var preflight = Preflight("/docs/x", Origin, "GET");
        using (var response = await client.SendAsync(preflight, Ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
            Assert.Equal(Origin, response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        }

        using var get = new HttpRequestMessage(HttpMethod.Get, "/docs/x");
        get.Headers.TryAddWithoutValidation("Origin", Origin);
        get.Headers.TryAddWithoutValidation("Authorization", $"KEY {Secret}");
        using (var response = await client.SendAsync(get, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(Origin, response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        }
    }

    /// <summary>
    /// A key stored before non-ASCII origins were refused: its origin cannot be echoed, so it is refused before
    /// anything is forwarded, and its preflight too, with a 403 rather than the 500 Kestrel's throw made.
    /// </summary>
    [Fact]
    public async Task A_non_ASCII_origin_stored_earlier_is_refused_before_forwarding_never_a_500()
    {
        const string Origin = "https://bücher.example";
        const string Secret = "tgw_test-unicode-site-secret-9";
        await _gateway.Services.GetRequiredService<IKeyStore>().CreateAsync(new KeyRecord
        {
            Id = "unicode-site", Name = "Unicode site", Sha256 = KeySecrets.HashHex(Secret), Scopes = ["docs:read"],
            Origins = [Origin], CreatedAt = DateTimeOffset.UtcNow,
        }, Ct);
        using var client = Utf8Client();

        using var get = new HttpRequestMessage(HttpMethod.Get, "/docs/unicode-origin");
        get.Headers.TryAddWithoutValidation("Origin", Origin);
        get.Headers.TryAddWithoutValidation("Authorization", $"KEY {Secret}");
        using (var response = await client.SendAsync(get, Ct))
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.DoesNotContain(_bed.Upstream.Received, r => r.Path == "/docs/unicode-origin");
        }

        using var preflight = Preflight("/docs/x", Origin, "GET");
        using (var response = await client.SendAsync(preflight, Ct))
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
        }
    }
}
