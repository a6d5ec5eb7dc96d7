using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Tribuo.Gateway.Keys;
using Tribuo.Gateway.Storage;
using Tribuo.Gateway.Tests.Infrastructure;
using Xunit;
using static Tribuo.Gateway.Tests.Keys.KeysTestBed;

namespace Tribuo.Gateway.Tests.Keys;

/// <summary>Keys changing while gateways run: revocation everywhere, outages, seeding, administration.</summary>
public sealed class KeyLifecycleTests(RedisFixture redis) : IClassFixture<RedisFixture>, IAsyncLifetime
{
    private KeysTestBed _bed = null!;

    public async ValueTask InitializeAsync() => _bed = await KeysTestBed.StartAsync(redis.RequireServer());

    public ValueTask DisposeAsync() => _bed.DisposeAsync();

    private static async Task<HttpStatusCode> GetAsync(GatewayApp gateway, string path, string? secret)
    {
        using var client = gateway.NewClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (secret is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", $"KEY {secret}");
        }

        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    /// <summary>What the store and the gateway's cache hold for a secret, for a failure message: which of the two is behind.</summary>
    private static string KeyState(GatewayApp gateway, string secret)
    {
        string store;
        try
        {
            var record = gateway.Services.GetRequiredService<IKeyStore>().FindByHashAsync(KeySecrets.HashHex(secret)).GetAwaiter().GetResult();
            store = record is null ? "none" : $"{record.Id} {record.StatusAt(DateTimeOffset.UtcNow)}";
        }
        catch (Exception e)
        {
            store = e.GetType().Name;
        }

        var cached = gateway.Services.GetRequiredService<KeyCache>().TryGet(SHA256.HashData(Encoding.UTF8.GetBytes(secret)), out var entry)
            ? entry.Record is { } record2 ? $"{record2.Id} {record2.StatusAt(DateTimeOffset.UtcNow)}" : "unknown"
            : "none";
        return $"store: {store}, cache: {cached}";
    }

    private static async Task<TimeSpan> TimeUntilAsync(Func<Task<bool>> condition, TimeSpan limit, Func<string>? explain = null)
    {
        var watch = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(watch.Elapsed < limit, $"not within {limit}{(explain is null ? "" : ": " + explain())}");
            await Task.Delay(20);
        }

        return watch.Elapsed;
    }

    [Fact]
    public async Task A_key_revoked_on_one_instance_is_refused_by_another_within_a_second()
    {
        var a = _bed.StartGateway();
        var b = _bed.StartGateway();
        await _bed.SeedKeysAsync(a);

        // Both instances have the key cached.
        Assert.Equal(HttpStatusCode.OK, await GetAsync(a, "/docs/x", ReaderSecret));
        Assert.Equal(HttpStatusCode.OK, await GetAsync(b, "/docs/x", ReaderSecret));

        await a.Services.GetRequiredService<KeyService>().RevokeAsync("reader", "test", TestContext.Current.CancellationToken);
        var elapsed = await TimeUntilAsync(async () => await GetAsync(b, "/docs/x", ReaderSecret) == HttpStatusCode.Unauthorized, TimeSpan.FromSeconds(1));
        Assert.True(elapsed < TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task Disabling_and_scope_edits_reach_other_instances_within_a_second()
    {
        var a = _bed.StartGateway();
        var b = _bed.StartGateway();
        await _bed.SeedKeysAsync(a);
        Assert.Equal(HttpStatusCode.OK, await GetAsync(b, "/docs/x", ReaderSecret));
        var keys = a.Services.GetRequiredService<KeyService>();

        await keys.UpdateAsync("reader", new KeyChanges(Scopes: ["api"]), "test", TestContext.Current.CancellationToken);
        await TimeUntilAsync(async () => await GetAsync(b, "/docs/x", ReaderSecret) == HttpStatusCode.Forbidden, TimeSpan.FromSeconds(1));

        await keys.UpdateAsync("reader", new KeyChanges(Disabled: true), "test", TestContext.Current.CancellationToken);
        await TimeUntilAsync(async () => await GetAsync(b, "/any/x", ReaderSecret) == HttpStatusCode.Unauthorized, TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task While_Redis_is_down_recently_validated_keys_work_unknown_ones_get_503_and_service_returns_with_Redis()
    {
        var server = redis.RequireServer();
        var gateway = _bed.StartGateway();
        await _bed.SeedKeysAsync(gateway);
        Assert.Equal(HttpStatusCode.OK, await GetAsync(gateway, "/docs/x", ReaderSecret));

        await server.StopAsync();
        try
        {
            Assert.Equal(HttpStatusCode.OK, await GetAsync(gateway, "/docs/x", ReaderSecret));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, await GetAsync(gateway, "/docs/x", StarSecret));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, await GetAsync(gateway, "/docs/x", "tgw_never-seen-0000000000"));
            Assert.Equal(HttpStatusCode.OK, await GetAsync(gateway, "/pub/x", null));
            Assert.Equal(HttpStatusCode.OK, await GetAsync(gateway, "/healthz", null));
        }
        finally
        {
            await server.StartAsync(); // an empty Redis: the keys have to be written again
        }

        // The gateway's client reconnects by itself; the test writes the keys again once it can, and reads them
        // back: in about one full-suite run in eight, a seed written while the client was reconnecting left the
        // store with the star key and without the reader key (the failure message said "store: none" for it).
        // What the test checks is the gateway serving again once the store has the keys, so it makes sure it does.
        var store = gateway.Services.GetRequiredService<IKeyStore>();
        await TimeUntilAsync(async () =>
        {
            try
            {
                await _bed.SeedKeysAsync(gateway);
                return await store.FindByHashAsync(KeySecrets.HashHex(ReaderSecret)) is not null
                    && await store.FindByHashAsync(KeySecrets.HashHex(StarSecret)) is not null;
            }
            catch (StackExchange.Redis.RedisException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(15), () => $"the seeded keys are not all in the store; by id 'reader' it holds the hash "
            + $"{store.GetAsync("reader").GetAwaiter().GetResult()?.Sha256 ?? "none"} (expected {KeySecrets.HashHex(ReaderSecret)})");
        var last = default(HttpStatusCode);
        // This step failed twice in CI (the full suite, never alone): the answer and the gateway's key log say why, next time.
        string Explain() => $"last answer {(int)last}; {KeyState(gateway, StarSecret)}; {KeyState(gateway, ReaderSecret)}; "
            + string.Join(" | ", gateway.Logs.Where(l => l.Contains("Key", StringComparison.Ordinal)).TakeLast(8));
        await TimeUntilAsync(async () => (last = await GetAsync(gateway, "/docs/x", StarSecret)) == HttpStatusCode.OK, TimeSpan.FromSeconds(15), Explain);
        // A background revalidation may have read the restarted, still empty Redis before the keys were written
        // again: "no such key" is then cached for UnknownKeyTtl (2 s), as documented, so the reader comes back after it.
        await TimeUntilAsync(async () => (last = await GetAsync(gateway, "/docs/x", ReaderSecret)) == HttpStatusCode.OK, TimeSpan.FromSeconds(15), Explain);
    }

    /// <summary>
    /// Issue 13: while the change feed proves it delivers (a heartbeat heard within 3 s), a cached key is trusted for
    /// RevalidateWhileSubscribed instead of RevalidateAfter, so 200,000 keys in use are not re-read every 15 s. A change
    /// written straight into the store, bypassing the feed, is what tells the two apart.
    /// </summary>
    [Theory]
    [InlineData("00:05:00", HttpStatusCode.OK)]
    [InlineData("00:00:00", HttpStatusCode.Unauthorized)]
    public async Task While_the_feed_is_live_a_cached_key_is_not_re_read_after_RevalidateAfter(string whileSubscribed, HttpStatusCode afterSilentChange)
    {
        var gateway = _bed.StartGateway(new Dictionary<string, string?>
        {
            ["Gateway:Keys:RevalidateAfter"] = "00:00:00.200",
            ["Gateway:Keys:RevalidateWhileSubscribed"] = whileSubscribed,
        });
        await _bed.SeedKeysAsync(gateway);
        var feed = gateway.Services.GetRequiredService<IChangeFeed>();
        await TimeUntilAsync(() => Task.FromResult(feed.IsLive(ChangeTopics.Keys)), TimeSpan.FromSeconds(15));
        Assert.Equal(HttpStatusCode.OK, await GetAsync(gateway, "/docs/x", ReaderSecret));

        var store = gateway.Services.GetRequiredService<IKeyStore>();
        var reader = (await store.GetAsync("reader", TestContext.Current.CancellationToken))!;
        Assert.True(await store.UpdateAsync(reader with { Disabled = true }, TestContext.Current.CancellationToken)); // the store only: nothing published

        // Ten RevalidateAfter periods, a request every 50 ms: each would start a re-read of a key past RevalidateAfter.
        var last = HttpStatusCode.OK;
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(2) && last == HttpStatusCode.OK)
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
            last = await GetAsync(gateway, "/docs/x", ReaderSecret);
        }

        Assert.Equal(afterSilentChange, last);
        if (afterSilentChange == HttpStatusCode.OK)
        {
            Assert.True(feed.IsLive(ChangeTopics.Keys), "the feed stopped being live: the key may have been re-read");
        }
    }

    [Fact]
    public async Task A_cached_key_stops_working_once_the_stale_window_is_over()
    {
        var server = redis.RequireServer();
        var gateway = _bed.StartGateway(new Dictionary<string, string?>
        {
            ["Gateway:Keys:RevalidateAfter"] = "00:00:00.200",
            ["Gateway:Keys:StaleWhileUnreachable"] = "00:00:01",
        });
        await _bed.SeedKeysAsync(gateway);
        Assert.Equal(HttpStatusCode.OK, await GetAsync(gateway, "/docs/x", ReaderSecret));

        await server.StopAsync();
        try
        {
            await TimeUntilAsync(async () => await GetAsync(gateway, "/docs/x", ReaderSecret) == HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(5));
        }
        finally
        {
            await server.StartAsync();
        }
    }

    [Fact]
    public async Task Seeding_imports_new_keys_but_never_resurrects_a_revoked_one()
    {
        var keysFile = Path.Combine(Path.GetTempPath(), $"tgw-keys-{Guid.NewGuid():n}.json");
        await File.WriteAllTextAsync(keysFile, $$"""
            { "Keys": [
              { "Id": "seeded", "Name": "Seeded", "Secret": "{{ReaderSecret}}", "Scopes": ["docs:read"] },
              { "Id": "hashed", "Name": "Hashed", "Sha256": "{{KeySecrets.HashHex(StarSecret)}}", "Scopes": ["*"] }
            ] }
            """, TestContext.Current.CancellationToken);
        var settings = new Dictionary<string, string?> { ["Gateway:KeysFile"] = keysFile };
        try
        {
            var first = _bed.StartGateway(settings);
            await first.KeysFileImportedAsync();
            Assert.Equal(HttpStatusCode.OK, await GetAsync(first, "/docs/x", ReaderSecret));
            Assert.Equal(HttpStatusCode.OK, await GetAsync(first, "/keyonly/x", StarSecret));

            await first.Services.GetRequiredService<KeyService>().RevokeAsync("seeded", "test", TestContext.Current.CancellationToken);

            var second = _bed.StartGateway(settings);
            await second.KeysFileImportedAsync();
            Assert.Equal(HttpStatusCode.Unauthorized, await GetAsync(second, "/docs/x", ReaderSecret));
            Assert.NotNull((await second.Services.GetRequiredService<IKeyStore>().GetAsync("seeded", TestContext.Current.CancellationToken))!.RevokedAt);
        }
        finally
        {
            File.Delete(keysFile);
        }
    }

    [Fact]
    public async Task An_invalid_keys_file_stops_the_start_naming_the_key_and_field()
    {
        var keysFile = Path.Combine(Path.GetTempPath(), $"tgw-keys-{Guid.NewGuid():n}.json");
        var routesFile = Path.Combine(Path.GetTempPath(), $"tgw-routes-{Guid.NewGuid():n}.json");
        await File.WriteAllTextAsync(keysFile, """{ "Keys": [ { "Id": "bad", "Name": "Bad", "Sha256": "xyz", "Scopes": [] } ] }""", TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(routesFile, _bed.Routes, TestContext.Current.CancellationToken);
        try
        {
            var result = await GatewayProcess.RunAsync(TimeSpan.FromSeconds(60), $"--Gateway:RoutesFile={routesFile}", $"--Gateway:KeysFile={keysFile}",
                $"--Gateway:DataDir={Path.GetTempPath()}/tgw-{Guid.NewGuid():n}", "--urls=http://127.0.0.1:0");
            Assert.NotEqual(0, result.ExitCode);
            Assert.Contains("key 'bad': Sha256:", result.Error);
            Assert.Contains("key 'bad': Scopes:", result.Error);
        }
        finally
        {
            File.Delete(keysFile);
            File.Delete(routesFile);
        }
    }

    [Fact]
    public async Task The_HTTP_admin_API_creates_uses_rotates_and_revokes_keys()
    {
        var gateway = _bed.StartGateway();
        await _bed.SeedKeysAsync(gateway);
        using var admin = gateway.NewClient();
        admin.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", $"KEY {StarSecret}");
        var ct = TestContext.Current.CancellationToken;

        using var created = await admin.PostAsJsonAsync("/gateway/keys", new { id = "svc", name = "Service", scopes = new[] { "docs:read" } }, ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var secret = (await created.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("secret").GetString()!;
        Assert.StartsWith("tgw_", secret);
        Assert.Equal(HttpStatusCode.OK, await GetAsync(gateway, "/docs/x", secret));

        var listed = await admin.GetStringAsync("/gateway/keys", ct);
        Assert.Contains("\"svc\"", listed);
        Assert.DoesNotContain(secret, listed);
        Assert.DoesNotContain(KeySecrets.HashHex(secret), listed);
        Assert.DoesNotContain("secret", listed, StringComparison.OrdinalIgnoreCase);

        using var duplicate = await admin.PostAsJsonAsync("/gateway/keys", new { id = "svc", name = "Again", scopes = new[] { "x" } }, ct);
        Assert.Equal(HttpStatusCode.BadRequest, duplicate.StatusCode);
        using var invalid = await admin.PostAsJsonAsync("/gateway/keys", new { id = "bad id!", name = "", scopes = Array.Empty<string>() }, ct);
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Contains("Scopes", await invalid.Content.ReadAsStringAsync(ct));

        using var rotated = await admin.PostAsync("/gateway/keys/svc/rotate", null, ct);
        var newSecret = (await rotated.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("secret").GetString()!;
        Assert.NotEqual(secret, newSecret);
        Assert.Equal(HttpStatusCode.Unauthorized, await GetAsync(gateway, "/docs/x", secret));
        Assert.Equal(HttpStatusCode.OK, await GetAsync(gateway, "/docs/x", newSecret));

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync("/gateway/keys/svc", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, await GetAsync(gateway, "/docs/x", newSecret));
        Assert.Contains("\"revoked\"", await admin.GetStringAsync("/gateway/keys/svc", ct));
        Assert.Equal(HttpStatusCode.NotFound, (await admin.DeleteAsync("/gateway/keys/nope", ct)).StatusCode);
        Assert.Contains("\"routes\"", await admin.GetStringAsync("/gateway/config", ct));
    }

    /// <summary>
    /// An outside probe: a revocation answered 503 while Redis paused writes was stored once the pause ended, but no
    /// instance was told, so the key kept working everywhere for minutes, and no key.revoked event was written.
    /// </summary>
    [Fact]
    public async Task A_revocation_stored_after_the_store_timed_out_still_reaches_every_instance_and_the_audit_trail()
    {
        var server = redis.RequireServer();
        var (a, b) = (_bed.StartGateway(), _bed.StartGateway());
        await _bed.SeedKeysAsync(a);
        Assert.Equal(HttpStatusCode.OK, await GetAsync(a, "/docs/x", ReaderSecret));
        Assert.Equal(HttpStatusCode.OK, await GetAsync(b, "/docs/x", ReaderSecret));
        using var admin = a.NewClient();
        admin.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", $"KEY {StarSecret}");
        admin.Timeout = TimeSpan.FromSeconds(30);

        await server.PauseWritesAsync(TimeSpan.FromSeconds(4)); // longer than the test connection's 2 s timeout
        using var revoke = await admin.DeleteAsync("/gateway/keys/reader", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, revoke.StatusCode);

        // The write runs when the pause ends (4 s); both instances refuse the key soon after, without a restart.
        var refused = await TimeUntilAsync(async () =>
            await GetAsync(a, "/docs/x", ReaderSecret) == HttpStatusCode.Unauthorized && await GetAsync(b, "/docs/x", ReaderSecret) == HttpStatusCode.Unauthorized,
            TimeSpan.FromSeconds(15), () => $"a: {KeyState(a, ReaderSecret)}; b: {KeyState(b, ReaderSecret)}");
        Assert.True(refused < TimeSpan.FromSeconds(10), $"refused everywhere only after {refused}");
        await TimeUntilAsync(() => Task.FromResult(a.Logs.Any(l => l.Contains("Key reader: key.revoked was stored after the store did not answer in time", StringComparison.Ordinal))),
            TimeSpan.FromSeconds(10));
    }

    [Theory]
    [InlineData(null, HttpStatusCode.Unauthorized)]
    [InlineData(ReaderSecret, HttpStatusCode.Forbidden)]
    [InlineData(SiteSecret, HttpStatusCode.Forbidden)]
    [InlineData(RevokedSecret, HttpStatusCode.Unauthorized)]
    public async Task Only_admin_keys_reach_the_admin_API(string? secret, HttpStatusCode expected)
    {
        var gateway = _bed.StartGateway();
        await _bed.SeedKeysAsync(gateway);

        Assert.Equal(expected, await GetAsync(gateway, "/gateway/keys", secret));
        Assert.Equal(expected, await GetAsync(gateway, "/gateway/config", secret));
    }

    [Fact]
    public async Task The_CLI_manages_keys_in_the_same_Redis_and_running_gateways_follow_within_a_second()
    {
        var gateway = _bed.StartGateway();
        var redisSetting = $"--ConnectionStrings:Redis={_bed.Redis}";

        var created = await GatewayProcess.RunAsync(TimeSpan.FromSeconds(60), "keys", "create", "--id", "cli-key", "--name", "From the CLI", "--scopes", "docs:read,api", redisSetting);
        Assert.Equal(0, created.ExitCode);
        var secret = created.Output.Trim();
        Assert.StartsWith("tgw_", secret);
        Assert.Equal(HttpStatusCode.OK, await GetAsync(gateway, "/docs/x", secret));

        var listed = await GatewayProcess.RunAsync(TimeSpan.FromSeconds(60), "keys", "list", redisSetting);
        Assert.Contains("cli-key", listed.Output);
        Assert.DoesNotContain(secret, listed.Output);

        var shown = await GatewayProcess.RunAsync(TimeSpan.FromSeconds(60), "keys", "show", "cli-key", redisSetting);
        Assert.Contains("docs:read api", shown.Output);

        var rotated = await GatewayProcess.RunAsync(TimeSpan.FromSeconds(60), "keys", "rotate", "cli-key", redisSetting);
        var newSecret = rotated.Output.Trim();
        await TimeUntilAsync(async () => await GetAsync(gateway, "/docs/x", secret) == HttpStatusCode.Unauthorized, TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.OK, await GetAsync(gateway, "/docs/x", newSecret));

        var revoked = await GatewayProcess.RunAsync(TimeSpan.FromSeconds(60), "keys", "revoke", "cli-key", redisSetting);
        Assert.Equal(0, revoked.ExitCode);
        await TimeUntilAsync(async () => await GetAsync(gateway, "/docs/x", newSecret) == HttpStatusCode.Unauthorized, TimeSpan.FromSeconds(1));

        var missing = await GatewayProcess.RunAsync(TimeSpan.FromSeconds(60), "keys", "revoke", "no-such-key", redisSetting);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("does not exist", missing.Error);
    }

    [Fact]
    public async Task Last_use_is_recorded_in_batches_not_per_request()
    {
        var gateway = _bed.StartGateway();
        await _bed.SeedKeysAsync(gateway);
        var store = gateway.Services.GetRequiredService<IKeyStore>();

        Assert.Equal(HttpStatusCode.OK, await GetAsync(gateway, "/docs/x", ReaderSecret));
        Assert.Null((await store.GetAsync("reader", TestContext.Current.CancellationToken))!.LastUsedAt);

        await gateway.Services.GetRequiredService<KeyUsageRecorder>().FlushAsync(TestContext.Current.CancellationToken);
        Assert.NotNull((await store.GetAsync("reader", TestContext.Current.CancellationToken))!.LastUsedAt);
    }
}
