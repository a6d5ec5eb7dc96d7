using Tribuo.Gateway.Keys;
using Tribuo.Gateway.Storage.Redis;
using Tribuo.Gateway.Storage.Sqlite;
using Tribuo.Gateway.Tests.Infrastructure;
using Xunit;

namespace Tribuo.Gateway.Tests.Storage;

/// <summary>The same key-record behaviour, asserted against every backend.</summary>
public abstract class KeyStoreContractTests
{
    private protected abstract IKeyStore Store { get; }

    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeMilliseconds(1_790_000_000_000);

    private static KeyRecord NewKey(string? id = null) => new()
    {
        Id = id ?? "k-" + Guid.NewGuid().ToString("n")[..8],
        Name = "Docs site",
        Sha256 = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()) + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()),
        Scopes = ["docs:read", "api"],
        Origins = ["https://docs.tribuo.cloud"],
        Expires = Now.AddDays(30),
        UserId = "146098000645190267",
        RateLimits = [Gateway.RateLimits.RateLimit.Parse("100/1s"), Gateway.RateLimits.RateLimit.Parse("100000/1d")],
        CreatedAt = Now,
    };

    [Fact]
    public async Task A_created_key_is_found_by_hash_and_by_id_with_every_field()
    {
        var key = NewKey();
        Assert.True(await Store.CreateAsync(key, TestContext.Current.CancellationToken));

        Assert.Equal(key, (await Store.FindByHashAsync(key.Sha256, TestContext.Current.CancellationToken))! with { Scopes = key.Scopes, Origins = key.Origins, RateLimits = key.RateLimits });
        var found = await Store.GetAsync(key.Id, TestContext.Current.CancellationToken);
        Assert.NotNull(found);
        Assert.Equal(key.Scopes, found.Scopes);
        Assert.Equal(key.Origins, found.Origins);
        Assert.Equal(key.Expires, found.Expires);
        Assert.Equal(key.UserId, found.UserId);
        Assert.Equal(key.RateLimits, found.RateLimits);
        Assert.False(found.Disabled);
        Assert.Null(found.RevokedAt);
    }

    [Fact]
    public async Task Unknown_hashes_and_ids_are_not_found()
    {
        Assert.Null(await Store.FindByHashAsync(new string('0', 64), TestContext.Current.CancellationToken));
        Assert.Null(await Store.GetAsync("no-such-key", TestContext.Current.CancellationToken));
        Assert.False(await Store.RevokeAsync("no-such-key", Now, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_second_key_with_the_same_id_or_the_same_secret_is_refused()
    {
        var key = NewKey();
        Assert.True(await Store.CreateAsync(key, TestContext.Current.CancellationToken));

        Assert.False(await Store.CreateAsync(NewKey(key.Id), TestContext.Current.CancellationToken));
        Assert.False(await Store.CreateAsync(NewKey() with { Sha256 = key.Sha256 }, TestContext.Current.CancellationToken));
        Assert.Equal(key.Name, (await Store.GetAsync(key.Id, TestContext.Current.CancellationToken))!.Name);
    }

    [Fact]
    public async Task Revoking_keeps_the_record_and_the_first_revocation_time()
    {
        var key = NewKey();
        await Store.CreateAsync(key, TestContext.Current.CancellationToken);

        Assert.True(await Store.RevokeAsync(key.Id, Now.AddHours(1), TestContext.Current.CancellationToken));
        Assert.True(await Store.RevokeAsync(key.Id, Now.AddHours(2), TestContext.Current.CancellationToken));

        var revoked = await Store.FindByHashAsync(key.Sha256, TestContext.Current.CancellationToken);
        Assert.Equal(Now.AddHours(1), revoked!.RevokedAt);
        Assert.False(await Store.CreateAsync(NewKey(key.Id), TestContext.Current.CancellationToken), "a revoked id must not be reusable");
    }

    [Fact]
    public async Task Updating_overwrites_the_editable_fields_and_moves_the_key_between_origins()
    {
        var key = NewKey();
        await Store.CreateAsync(key, TestContext.Current.CancellationToken);
        await Store.TouchAsync(new Dictionary<string, DateTimeOffset> { [key.Sha256] = Now.AddMinutes(5) }, TestContext.Current.CancellationToken);

        var edited = key with { Name = "Renamed", Scopes = ["billing"], Expires = null, Disabled = true, Origins = ["https://app.tribuo.cloud"] };
        Assert.True(await Store.UpdateAsync(edited, TestContext.Current.CancellationToken));

        var found = (await Store.GetAsync(key.Id, TestContext.Current.CancellationToken))!;
        Assert.Equal(("Renamed", true, (DateTimeOffset?)null), (found.Name, found.Disabled, found.Expires));
        Assert.Equal(["billing"], found.Scopes);
        Assert.Equal(Now, found.CreatedAt);
        Assert.Equal(Now.AddMinutes(5), found.LastUsedAt);
        Assert.DoesNotContain(await Store.FindByOriginAsync("https://docs.tribuo.cloud", TestContext.Current.CancellationToken), k => k.Id == key.Id);
        Assert.Contains(await Store.FindByOriginAsync("https://app.tribuo.cloud", TestContext.Current.CancellationToken), k => k.Id == key.Id);
        Assert.False(await Store.UpdateAsync(NewKey("no-such-key"), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Rotating_moves_the_whole_record_to_the_new_hash_and_leaves_nothing_under_the_old_one()
    {
        var key = NewKey();
        await Store.CreateAsync(key, TestContext.Current.CancellationToken);
        await Store.TouchAsync(new Dictionary<string, DateTimeOffset> { [key.Sha256] = Now.AddMinutes(5) }, TestContext.Current.CancellationToken);
        var newHash = NewKey().Sha256;

        Assert.Equal(key.Sha256, await Store.ReplaceHashAsync(key.Id, newHash, TestContext.Current.CancellationToken));

        Assert.Null(await Store.FindByHashAsync(key.Sha256, TestContext.Current.CancellationToken));
        var moved = (await Store.FindByHashAsync(newHash, TestContext.Current.CancellationToken))!;
        Assert.Equal((key.Id, key.Name, newHash, key.Expires, key.UserId, Now.AddMinutes(5)), (moved.Id, moved.Name, moved.Sha256, moved.Expires, moved.UserId, moved.LastUsedAt));
        Assert.Equal(newHash, (await Store.GetAsync(key.Id, TestContext.Current.CancellationToken))!.Sha256);

        // A late last-use write for the old hash does not bring it back, and a revocation reaches the new hash.
        await Store.TouchAsync(new Dictionary<string, DateTimeOffset> { [key.Sha256] = Now.AddMinutes(6) }, TestContext.Current.CancellationToken);
        Assert.Null(await Store.FindByHashAsync(key.Sha256, TestContext.Current.CancellationToken));
        Assert.True(await Store.RevokeAsync(key.Id, Now.AddHours(1), TestContext.Current.CancellationToken));
        Assert.Equal(Now.AddHours(1), (await Store.FindByHashAsync(newHash, TestContext.Current.CancellationToken))!.RevokedAt);
        Assert.Null(await Store.FindByHashAsync(key.Sha256, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Rotating_onto_another_keys_hash_or_an_unknown_id_changes_nothing()
    {
        var key = NewKey();
        var other = NewKey();
        await Store.CreateAsync(key, TestContext.Current.CancellationToken);
        await Store.CreateAsync(other, TestContext.Current.CancellationToken);

        Assert.Null(await Store.ReplaceHashAsync(key.Id, other.Sha256, TestContext.Current.CancellationToken));
        Assert.Null(await Store.ReplaceHashAsync("no-such-key", NewKey().Sha256, TestContext.Current.CancellationToken));
        Assert.Equal(key.Sha256, (await Store.GetAsync(key.Id, TestContext.Current.CancellationToken))!.Sha256);
        Assert.Equal(other.Id, (await Store.FindByHashAsync(other.Sha256, TestContext.Current.CancellationToken))!.Id);
    }

    [Fact]
    public async Task Listing_returns_every_key_sorted_by_id()
    {
        var first = NewKey("list-a-" + Guid.NewGuid().ToString("n")[..6]);
        var second = NewKey("list-b-" + Guid.NewGuid().ToString("n")[..6]);
        await Store.CreateAsync(second, TestContext.Current.CancellationToken);
        await Store.CreateAsync(first, TestContext.Current.CancellationToken);

        var ids = (await Store.ListAsync(TestContext.Current.CancellationToken)).Select(k => k.Id).ToList();
        Assert.Contains(first.Id, ids);
        Assert.Contains(second.Id, ids);
        Assert.Equal(ids.Order(StringComparer.Ordinal), ids);
    }
}

public sealed class SqliteKeyStoreTests : KeyStoreContractTests, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("tgw-sqlite-").FullName;

    public SqliteKeyStoreTests() => Store = new SqliteKeyStore(new SqliteDatabase(_directory));

    private protected override IKeyStore Store { get; }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}

public sealed class RedisKeyStoreTests(RedisFixture redis) : KeyStoreContractTests, IClassFixture<RedisFixture>, IDisposable
{
    private readonly RedisConnection _connection = new(redis.RequireServer().ConnectionString);

    private protected override IKeyStore Store => new RedisKeyStore(_connection);

    public void Dispose() => _connection.Dispose();
}
