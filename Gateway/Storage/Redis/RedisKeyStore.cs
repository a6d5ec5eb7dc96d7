using StackExchange.Redis;
using Tribuo.Gateway.Keys;

namespace Tribuo.Gateway.Storage.Redis;

/// <summary>
/// Keys in Redis. Layout (also in the README):
/// <c>tgw:key:{sha256}</c> a hash holding the record, addressed by what the hot path has in hand;
/// <c>tgw:key-id:{id}</c> the id → sha256 index; <c>tgw:keys</c> the set of ids, for listing;
/// <c>tgw:origin:{origin}</c> the ids of the unrevoked site keys bound to that origin, for preflights.
/// </summary>
internal sealed class RedisKeyStore(RedisConnection redis) : IKeyStore
{
    private const string KeysSet = RedisConnection.Prefix + "keys";

    /// <summary>Set once the origin index holds every key, including keys written before the index existed.</summary>
    private const string OriginIndexBuilt = RedisConnection.Prefix + "origins:indexed";

    private Task? _originIndex;

    private static RedisKey OriginKey(string origin) => RedisConnection.Prefix + "origin:" + origin;

    private static RedisKey RecordKey(string sha256) => RedisConnection.Prefix + "key:" + sha256;

    private static RedisKey IdKey(string id) => RedisConnection.Prefix + "key-id:" + id;

    public async Task<KeyRecord?> FindByHashAsync(string sha256, CancellationToken cancellationToken = default)
    {
        var database = await redis.GetDatabaseAsync();
        var fields = await database.HashGetAllAsync(RecordKey(sha256));
        return fields.Length == 0 ? null : KeyFields.ToRecord(fields);
    }

    public async Task<KeyRecord?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        var database = await redis.GetDatabaseAsync();
        var sha256 = await database.StringGetAsync(IdKey(id));
        return sha256.IsNullOrEmpty ? null : await FindByHashAsync(sha256!, cancellationToken);
    }

    public async Task<IReadOnlyList<KeyRecord>> FindByOriginAsync(string origin, CancellationToken cancellationToken = default)
    {
        await EnsureOriginIndexAsync();
        var database = await redis.GetDatabaseAsync();
        var ids = await database.SetMembersAsync(OriginKey(origin));
        var records = await Task.WhenAll(ids.Select(id => GetAsync(id!, cancellationToken)));
        return records.OfType<KeyRecord>().Where(k => k.RevokedAt is null && k.Origins.Contains(origin, StringComparer.Ordinal)).ToArray();
    }

    /// <summary>
    /// Keys created before the origin index existed are added to it once per Redis (then marked), never per
    /// request; one build at a time per process.
    /// </summary>
    private Task EnsureOriginIndexAsync()
    {
        var current = _originIndex;
        if (current is { IsCompletedSuccessfully: true })
        {
            return current;
        }

        if (current is null || current.IsFaulted || current.IsCanceled)
        {
            var build = BuildOriginIndexAsync();
            current = Interlocked.CompareExchange(ref _originIndex, build, current) == current ? build : _originIndex!;
        }

        return current;
    }

    private async Task BuildOriginIndexAsync()
    {
        var database = await redis.GetDatabaseAsync();
        if (await database.KeyExistsAsync(OriginIndexBuilt))
        {
            return;
        }

        foreach (var key in await ListAsync())
        {
            if (key.RevokedAt is null)
            {
                foreach (var origin in key.Origins)
                {
                    await database.SetAddAsync(OriginKey(origin), key.Id);
                }
            }
        }

        await database.StringSetAsync(OriginIndexBuilt, "1");
    }

    public async Task<IReadOnlyList<KeyRecord>> ListAsync(CancellationToken cancellationToken = default)
    {
        var database = await redis.GetDatabaseAsync();
        var ids = await database.SetMembersAsync(KeysSet);
        var records = await Task.WhenAll(ids.Select(id => GetAsync(id!, cancellationToken)));
        return records.OfType<KeyRecord>().OrderBy(k => k.Id, StringComparer.Ordinal).ToArray();
    }

    public async Task<bool> CreateAsync(KeyRecord key, CancellationToken cancellationToken = default)
    {
        var database = await redis.GetDatabaseAsync();
        var transaction = database.CreateTransaction();
        // Both conditions: a second key with the same id, or with the same secret, must not be created.
        transaction.AddCondition(Condition.KeyNotExists(IdKey(key.Id)));
        transaction.AddCondition(Condition.KeyNotExists(RecordKey(key.Sha256)));
        _ = transaction.HashSetAsync(RecordKey(key.Sha256), KeyFields.From(key));
        _ = transaction.StringSetAsync(IdKey(key.Id), key.Sha256);
        _ = transaction.SetAddAsync(KeysSet, key.Id);
        _ = transaction.SortedSetAddAsync(RedisKeyPager.IdIndex, key.Id, 0);
        if (key.RevokedAt is null)
        {
            foreach (var origin in key.Origins)
            {
                _ = transaction.SetAddAsync(OriginKey(origin), key.Id);
            }
        }

        return await transaction.ExecuteAsync();
    }

    public async Task<bool> RevokeAsync(string id, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        var database = await redis.GetDatabaseAsync();
        var sha256 = await database.StringGetAsync(IdKey(id));
        if (sha256.IsNullOrEmpty)
        {
            return false;
        }

        // HSETNX keeps the first revocation time when a key is revoked twice.
        await database.HashSetAsync(RecordKey(sha256!), KeyFields.RevokedAt, at.ToUnixTimeMilliseconds(), When.NotExists);
        foreach (var origin in StoredValues.SplitList(await database.HashGetAsync(RecordKey(sha256!), KeyFields.Origins)))
        {
            await database.SetRemoveAsync(OriginKey(origin), id);
        }

        return true;
    }
    public async Task<bool> UpdateAsync(KeyRecord key, CancellationToken cancellationToken = default)
    {
        var database = await redis.GetDatabaseAsync();
        var sha256 = await database.StringGetAsync(IdKey(key.Id));
        if (sha256.IsNullOrEmpty)
        {
            return false;
        }

        var record = RecordKey(sha256!);
        var before = await database.HashGetAsync(record, [KeyFields.Origins, KeyFields.RevokedAt]);
        var transaction = database.CreateTransaction();
        transaction.AddCondition(Condition.KeyExists(record));
        foreach (var origin in StoredValues.SplitList(before[0]).Except(key.Origins, StringComparer.Ordinal))
        {
            _ = transaction.SetRemoveAsync(OriginKey(origin), key.Id);
        }

        if (before[1].IsNull)
        {
            foreach (var origin in key.Origins)
            {
                _ = transaction.SetAddAsync(OriginKey(origin), key.Id);
            }
        }

        var entries = KeyFields.From(key with { Sha256 = sha256! })
            .Where(e => e.Name != KeyFields.CreatedAt && e.Name != KeyFields.RevokedAt && e.Name != KeyFields.LastUsedAt)
            .ToArray();
        _ = transaction.HashSetAsync(record, entries);
        if (key.Expires is null)
        {
            _ = transaction.HashDeleteAsync(record, KeyFields.ExpiresAt);
        }

        return await transaction.ExecuteAsync();
    }

    public async Task<string?> ReplaceHashAsync(string id, string newSha256, CancellationToken cancellationToken = default)
    {
        var database = await redis.GetDatabaseAsync();
        var old = await database.StringGetAsync(IdKey(id));
        if (old.IsNullOrEmpty)
        {
            return null;
        }

        var fields = await database.HashGetAllAsync(RecordKey(old!));
        var moved = fields.Where(f => f.Name != KeyFields.Sha256).Append(new HashEntry(KeyFields.Sha256, newSha256)).ToArray();
        var transaction = database.CreateTransaction();
        // Only if nobody rotated it meanwhile, and the new secret is not another key's.
        transaction.AddCondition(Condition.StringEqual(IdKey(id), old));
        transaction.AddCondition(Condition.KeyNotExists(RecordKey(newSha256)));
        _ = transaction.HashSetAsync(RecordKey(newSha256), moved);
        _ = transaction.KeyDeleteAsync(RecordKey(old!));
        _ = transaction.StringSetAsync(IdKey(id), newSha256);
        return await transaction.ExecuteAsync() ? (string?)old : null;
    }

    public async Task TouchAsync(IReadOnlyDictionary<string, DateTimeOffset> lastUsedByHash, CancellationToken cancellationToken = default)
    {
        var database = await redis.GetDatabaseAsync();
        // HSET only where the record still exists: a rotated key's old hash must not come back as a stub.
        var writes = lastUsedByHash.Select(pair => database.ScriptEvaluateAsync(
            "if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'last_used_at', ARGV[1]) end return 0",
            [RecordKey(pair.Key)],
            [pair.Value.ToUnixTimeMilliseconds()])).ToArray();
        await Task.WhenAll(writes);
    }
}

/// <summary>The field names of a key's Redis hash and the mapping to <see cref="KeyRecord"/>.</summary>
internal static class KeyFields
{
    public const string Id = "id";
    public const string Name = "name";
    public const string Sha256 = "sha256";
    public const string Scopes = "scopes";
    public const string ExpiresAt = "expires_at";
    public const string Disabled = "disabled";
    public const string RevokedAt = "revoked_at";
    public const string Origins = "origins";
    public const string UserId = "user_id";
    public const string CreatedAt = "created_at";
    public const string LastUsedAt = "last_used_at";
    public const string RateLimits = "rate_limits";

    public static HashEntry[] From(KeyRecord key)
    {
        var entries = new List<HashEntry>
        {
            new(Id, key.Id),
            new(Name, key.Name),
            new(Sha256, key.Sha256),
            new(Scopes, StoredValues.JoinList(key.Scopes)),
            new(Disabled, key.Disabled ? 1 : 0),
            new(Origins, StoredValues.JoinList(key.Origins)),
            new(CreatedAt, key.CreatedAt.ToUnixTimeMilliseconds()),
            new(RateLimits, StoredValues.JoinRateLimits(key.RateLimits)),
        };
        AddIfSet(entries, ExpiresAt, key.Expires);
        AddIfSet(entries, RevokedAt, key.RevokedAt);
        AddIfSet(entries, LastUsedAt, key.LastUsedAt);
        if (key.UserId is not null)
        {
            entries.Add(new(UserId, key.UserId));
        }

        return entries.ToArray();
    }

    public static KeyRecord ToRecord(HashEntry[] entries)
    {
        var fields = entries.ToDictionary(e => (string)e.Name!, e => e.Value);
        return new KeyRecord
        {
            Id = Text(fields, Id) ?? "",
            Name = Text(fields, Name) ?? "",
            Sha256 = Text(fields, Sha256) ?? "",
            Scopes = StoredValues.SplitList(Text(fields, Scopes)),
            Expires = Time(fields, ExpiresAt),
            Disabled = Text(fields, Disabled) == "1",
            RevokedAt = Time(fields, RevokedAt),
            Origins = StoredValues.SplitList(Text(fields, Origins)),
            UserId = Text(fields, UserId),
            CreatedAt = Time(fields, CreatedAt) ?? DateTimeOffset.UnixEpoch,
            LastUsedAt = Time(fields, LastUsedAt),
            RateLimits = StoredValues.SplitRateLimits(Text(fields, RateLimits)),
        };
    }

    private static void AddIfSet(List<HashEntry> entries, string field, DateTimeOffset? value)
    {
        if (value is { } time)
        {
            entries.Add(new(field, time.ToUnixTimeMilliseconds()));
        }
    }

    private static string? Text(Dictionary<string, RedisValue> fields, string name) =>
        fields.TryGetValue(name, out var value) && !value.IsNull ? (string?)value : null;

    private static DateTimeOffset? Time(Dictionary<string, RedisValue> fields, string name) =>
        long.TryParse(Text(fields, name), out var ms) ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
}
