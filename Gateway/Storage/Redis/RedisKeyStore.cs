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
        RedisKey[] keys = [IdKey(key.Id), RecordKey(key.Sha256), KeysSet, RedisKeyPager.IdIndex,
            .. key.RevokedAt is null ? key.Origins.Select(OriginKey) : []];
        RedisValue[] values = [key.Id, key.Sha256, .. Flatten(KeyFields.From(key))];
        return (int)await database.ScriptEvaluateAsync(KeyScripts.Create, keys, values) == 1;
    }

    public async Task<bool> RevokeAsync(string id, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        var database = await redis.GetDatabaseAsync();
        for (var attempt = 0; attempt < MovedRetries; attempt++)
        {
            var sha256 = await database.StringGetAsync(IdKey(id));
            if (sha256.IsNullOrEmpty)
            {
                return false;
            }

            var origins = await database.ScriptEvaluateAsync(KeyScripts.Revoke,
                [IdKey(id), RecordKey(sha256!)], [sha256, KeyFields.RevokedAt, at.ToUnixTimeMilliseconds(), KeyFields.Origins]);
            if (origins.IsNull)
            {
                continue; // rotated between the two reads: revoke the key under its new hash
            }

            foreach (var origin in StoredValues.SplitList((string?)origins))
            {
                await database.SetRemoveAsync(OriginKey(origin), id);
            }

            return true;
        }

        throw new RedisException($"key '{id}' kept changing while it was being revoked");
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
        var removed = StoredValues.SplitList(before[0]).Except(key.Origins, StringComparer.Ordinal).Select(OriginKey).ToArray();
        var added = before[1].IsNull ? key.Origins.Select(OriginKey).ToArray() : [];
        var entries = KeyFields.From(key with { Sha256 = sha256! })
            .Where(e => e.Name != KeyFields.CreatedAt && e.Name != KeyFields.RevokedAt && e.Name != KeyFields.LastUsedAt);
        RedisValue[] values = [sha256, key.Id, removed.Length, key.Expires is null ? KeyFields.ExpiresAt : "", .. Flatten(entries)];
        return (int)await database.ScriptEvaluateAsync(KeyScripts.Update, [IdKey(key.Id), record, .. removed, .. added], values) == 1;
    }

    public async Task<string?> ReplaceHashAsync(string id, string newSha256, CancellationToken cancellationToken = default)
    {
        var database = await redis.GetDatabaseAsync();
        var old = await database.StringGetAsync(IdKey(id));
        if (old.IsNullOrEmpty)
        {
            return null;
        }

        // Only if nobody rotated it meanwhile, and the new secret is not another key's.
        var moved = await database.ScriptEvaluateAsync(KeyScripts.ReplaceHash,
            [IdKey(id), RecordKey(old!), RecordKey(newSha256)], [old, newSha256, KeyFields.Sha256]);
        return (int)moved == 1 ? (string?)old : null;
    }

    /// <summary>How many times a revocation follows a key that was rotated under it before giving up.</summary>
    private const int MovedRetries = 3;

    private static IEnumerable<RedisValue> Flatten(IEnumerable<HashEntry> entries) =>
        entries.SelectMany(e => new[] { e.Name, e.Value });

    public async Task TouchAsync(IReadOnlyDictionary<string, DateTimeOffset> lastUsedByHash, CancellationToken cancellationToken = default)
    {
        var database = await redis.GetDatabaseAsync();
        var writes = lastUsedByHash.Select(pair => database.ScriptEvaluateAsync(
            KeyScripts.Touch,
            [RecordKey(pair.Key)],
            [pair.Value.ToUnixTimeMilliseconds()])).ToArray();
        await Task.WhenAll(writes);
    }
}

/// <summary>
/// The key store's writes as Lua scripts: each checks and writes in one step on the server. They replaced
/// MULTI/EXEC transactions with WATCH conditions, whose "condition not met" StackExchange.Redis can report while a
/// connection is being re-established (a seed after a Redis restart once skipped a key that did not exist), and
/// which turned a failed write into a wrong answer: "already exists", "no such key".
/// </summary>
internal static class KeyScripts
{
    /// <summary>KEYS: id index, record, set of ids, id order, then the origin sets to join. ARGV: id, sha256, field/value pairs. 1 when created, 0 when the id or the hash exists.</summary>
    public const string Create = """
        if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
        redis.call('HSET', KEYS[2], unpack(ARGV, 3))
        redis.call('SET', KEYS[1], ARGV[2])
        redis.call('SADD', KEYS[3], ARGV[1])
        redis.call('ZADD', KEYS[4], 0, ARGV[1])
        for i = 5, #KEYS do redis.call('SADD', KEYS[i], ARGV[1]) end
        return 1
        """;

    /// <summary>
    /// KEYS: id index, record, then n origin sets to leave and the origin sets to join. ARGV: sha256, id, n, the
    /// field to delete ('' for none), field/value pairs. 1 when written, 0 when the id no longer leads to that record.
    /// </summary>
    public const string Update = """
        if redis.call('GET', KEYS[1]) ~= ARGV[1] or redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
        local leave = tonumber(ARGV[3])
        for i = 3, 2 + leave do redis.call('SREM', KEYS[i], ARGV[2]) end
        for i = 3 + leave, #KEYS do redis.call('SADD', KEYS[i], ARGV[2]) end
        redis.call('HSET', KEYS[2], unpack(ARGV, 5))
        if ARGV[4] ~= '' then redis.call('HDEL', KEYS[2], ARGV[4]) end
        return 1
        """;

    /// <summary>KEYS: id index, old record, new record. ARGV: old sha256, new sha256, the hash field. The whole record moves (RENAME): no field is lost or written back.</summary>
    public const string ReplaceHash = """
        if redis.call('GET', KEYS[1]) ~= ARGV[1] or redis.call('EXISTS', KEYS[2]) == 0 or redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
        redis.call('RENAME', KEYS[2], KEYS[3])
        redis.call('HSET', KEYS[3], ARGV[3], ARGV[2])
        redis.call('SET', KEYS[1], ARGV[2])
        return 1
        """;

    /// <summary>
    /// KEYS: id index, record. ARGV: sha256, the revocation field, the time, the origins field. Keeps the first
    /// revocation time; nil when the id no longer leads to that record (rotated meanwhile: nothing is written, so
    /// no stub of the old hash appears), else the key's origins.
    /// </summary>
    public const string Revoke = """
        if redis.call('GET', KEYS[1]) ~= ARGV[1] or redis.call('EXISTS', KEYS[2]) == 0 then return nil end
        redis.call('HSETNX', KEYS[2], ARGV[2], ARGV[3])
        return redis.call('HGET', KEYS[2], ARGV[4]) or ''
        """;

    /// <summary>KEYS: record. ARGV: time. HSET only where the record still exists: a rotated key's old hash must not come back as a stub.</summary>
    public const string Touch = "if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'last_used_at', ARGV[1]) end return 0";
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
