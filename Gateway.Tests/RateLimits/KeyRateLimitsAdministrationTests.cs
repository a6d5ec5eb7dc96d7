using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Tribuo.Gateway.Keys;
using Tribuo.Gateway.Routes;
using Tribuo.Gateway.Tests.Infrastructure;
using Xunit;

namespace Tribuo.Gateway.Tests.RateLimits;

/// <summary>A key's <c>RateLimits</c> through the keys file, the admin API and the store; a route's <c>RateLimit</c> in its policy.</summary>
public sealed class KeyRateLimitsAdministrationTests : IAsyncLifetime
{
    private const string AdminSecret = "tgw_test-admin-rl-secret-0001";
    private readonly string _keysFile = Path.Combine(Directory.CreateTempSubdirectory("tgw-rl-keys-").FullName, "keys.json");
    private GatewayApp _gateway = null!;

    public ValueTask InitializeAsync()
    {
        File.WriteAllText(_keysFile, $$"""
            { "Keys": [
              { "Id": "admin", "Name": "Admin", "Secret": "{{AdminSecret}}", "Scopes": ["*"] },
              { "Id": "seeded", "Name": "Seeded", "Secret": "tgw_test-seeded-rl-secret-02", "Scopes": ["api"], "RateLimits": ["100/1s", "100000/1d"] }
            ] }
            """);
        _gateway = GatewayApp.Start(
            RoutesJson.With("http://127.0.0.1:9/", RoutesJson.Route("limited", "/limited/{**rest}", "key", "\"Scopes\": \"api\", \"RateLimit\": \"600/1m\"")),
            new Dictionary<string, string?> { ["Gateway:KeysFile"] = _keysFile });
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _gateway.DisposeAsync();
        Directory.Delete(Path.GetDirectoryName(_keysFile)!, recursive: true);
    }

    /// <summary>A client with the admin key, once seeding (which runs beside the start) has written it.</summary>
    private async Task<HttpClient> AdminAsync()
    {
        var client = _gateway.NewClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", $"KEY {AdminSecret}");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            using var seeded = await client.GetAsync("/gateway/keys/seeded", TestContext.Current.CancellationToken);
            if (seeded.StatusCode == HttpStatusCode.OK)
            {
                return client;
            }

            Assert.True(DateTime.UtcNow < deadline, $"keys file not imported within 30 s ({seeded.StatusCode})");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

    private static string[] Limits(JsonElement key) => key.GetProperty("rateLimits").EnumerateArray().Select(e => e.GetString()!).ToArray();

    [Fact]
    public async Task The_keys_file_seeds_rate_limits_and_the_admin_API_shows_them()
    {
        using var admin = await AdminAsync();
        var ct = TestContext.Current.CancellationToken;

        var seeded = await admin.GetFromJsonAsync<JsonElement>("/gateway/keys/seeded", ct);

        Assert.Equal(["100/1s", "100000/1d"], Limits(seeded));
        Assert.Empty(Limits(await admin.GetFromJsonAsync<JsonElement>("/gateway/keys/admin", ct)));
    }

    [Fact]
    public async Task Rate_limits_are_set_at_creation_changed_and_removed_by_PATCH_and_validated()
    {
        using var admin = await AdminAsync();
        var ct = TestContext.Current.CancellationToken;

        using var created = await admin.PostAsJsonAsync("/gateway/keys", new { id = "svc", name = "Service", scopes = new[] { "api" }, rateLimits = new[] { "10/1s" } }, ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(["10/1s"], Limits(await created.Content.ReadFromJsonAsync<JsonElement>(ct)));

        using var patched = await admin.PatchAsJsonAsync("/gateway/keys/svc", new { rateLimits = new[] { "5/1s", "1000/1h" } }, ct);
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        Assert.Equal(["5/1s", "1000/1h"], Limits(await admin.GetFromJsonAsync<JsonElement>("/gateway/keys/svc", ct)));

        using var renamed = await admin.PatchAsJsonAsync("/gateway/keys/svc", new { name = "Renamed" }, ct);
        Assert.Equal(["5/1s", "1000/1h"], Limits(await renamed.Content.ReadFromJsonAsync<JsonElement>(ct)));

        using var invalid = await admin.PatchAsJsonAsync("/gateway/keys/svc", new { rateLimits = new[] { "5/1w" } }, ct);
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Contains("RateLimits", await invalid.Content.ReadAsStringAsync(ct));
        using var invalidCreate = await admin.PostAsJsonAsync("/gateway/keys", new { id = "svc2", name = "S", scopes = new[] { "api" }, rateLimits = new[] { "0/1s" } }, ct);
        Assert.Equal(HttpStatusCode.BadRequest, invalidCreate.StatusCode);

        using var cleared = await admin.PatchAsJsonAsync("/gateway/keys/svc", new { rateLimits = Array.Empty<string>() }, ct);
        Assert.Empty(Limits(await cleared.Content.ReadFromJsonAsync<JsonElement>(ct)));
        var stored = await _gateway.Services.GetRequiredService<IKeyStore>().GetAsync("svc", ct);
        Assert.Empty(stored!.RateLimits);
    }

    [Fact]
    public void A_route_RateLimit_is_parsed_into_its_policy()
    {
        var policy = _gateway.Services.GetRequiredService<RoutesFileConfigProvider>().Snapshot!.Policies["limited"];

        Assert.Equal(600, policy.RateLimit!.Count);
        Assert.Equal(TimeSpan.FromMinutes(1), policy.RateLimit.Window);
    }
}
