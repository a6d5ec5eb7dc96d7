using Dapper;
using Tribuo.Gateway.Keys;

namespace Tribuo.Gateway.Storage.Sqlite;

/// <summary>Keys in the embedded store, for running without Redis.</summary>
internal sealed class SqliteKeyStore(SqliteDatabase database) : IKeyStore
{
    private const string Columns = "id, name, sha256, scopes, expires_at, disabled, revoked_at, origins, user_id, created_at, last_used_at, rate_limits";

    public async Task<KeyRecord?> FindByHashAsync(string sha256, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<KeyRow>($"SELECT {Columns} FROM keys WHERE sha256 = @sha256", new { sha256 });
        return row?.ToRecord();
    }

    public async Task<KeyRecord?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<KeyRow>($"SELECT {Columns} FROM keys WHERE id = @id", new { id });
        return row?.ToRecord();
    }

    public async Task<IReadOnlyList<KeyRecord>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<KeyRow>($"SELECT {Columns} FROM keys ORDER BY id");
        return rows.Select(r => r.ToRecord()).ToArray();
    }

    public async Task<bool> CreateAsync(KeyRecord key, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        // ON CONFLICT DO NOTHING covers both the id and the hash: a duplicate secret must not create a second key.
        var inserted = await connection.ExecuteAsync(
            $"INSERT INTO keys ({Columns}) VALUES (@id, @name, @sha256, @scopes, @expires_at, @disabled, @revoked_at, @origins, @user_id, @created_at, @last_used_at, @rate_limits) ON CONFLICT DO NOTHING",
            KeyRow.From(key));
        return inserted == 1;
    }

    public async Task<IReadOnlyList<KeyRecord>> FindByOriginAsync(string origin, CancellationToken cancellationToken = default)
    {
        // One statement on the embedded file: origins are stored space-separated, matched whole (instr, not LIKE wildcards).
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<KeyRow>(
            $"SELECT {Columns} FROM keys WHERE revoked_at IS NULL AND origins <> '' AND instr(' ' || origins || ' ', ' ' || @origin || ' ') > 0",
            new { origin });
        return rows.Select(r => r.ToRecord()).ToArray();
    }

    public async Task<bool> RevokeAsync(string id, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var updated = await connection.ExecuteAsync(
            "UPDATE keys SET revoked_at = COALESCE(revoked_at, @at) WHERE id = @id",
            new { id, at = at.ToUnixTimeMilliseconds() });
        return updated == 1;
    }

    public async Task<bool> UpdateAsync(KeyRecord key, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var updated = await connection.ExecuteAsync(
            "UPDATE keys SET name = @name, scopes = @scopes, expires_at = @expires_at, disabled = @disabled, origins = @origins, user_id = @user_id, rate_limits = @rate_limits WHERE id = @id",
            KeyRow.From(key));
        return updated == 1;
    }

    public async Task<string?> ReplaceHashAsync(string id, string newSha256, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var old = await connection.QuerySingleOrDefaultAsync<string>("SELECT sha256 FROM keys WHERE id = @id", new { id }, transaction);
        // Not onto another key's secret: null, as from the Redis store, rather than a constraint error.
        var moved = old is not null && await connection.ExecuteAsync(
            "UPDATE keys SET sha256 = @newSha256 WHERE id = @id AND NOT EXISTS (SELECT 1 FROM keys WHERE sha256 = @newSha256)",
            new { id, newSha256 }, transaction) == 1;
        await transaction.CommitAsync(cancellationToken);
        return moved ? old : null;
    }

    public async Task TouchAsync(IReadOnlyDictionary<string, DateTimeOffset> lastUsedByHash, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(
            "UPDATE keys SET last_used_at = MAX(COALESCE(last_used_at, 0), @at) WHERE sha256 = @sha256",
            lastUsedByHash.Select(pair => new { sha256 = pair.Key, at = pair.Value.ToUnixTimeMilliseconds() }),
            transaction);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>The table's row; lists are space-joined and times are Unix milliseconds, as in Redis.</summary>
    internal sealed class KeyRow
    {
        public string id { get; init; } = "";
        public string name { get; init; } = "";
        public string sha256 { get; init; } = "";
        public string scopes { get; init; } = "";
        public long? expires_at { get; init; }
        public long disabled { get; init; }
        public long? revoked_at { get; init; }
        public string origins { get; init; } = "";
        public string? user_id { get; init; }
        public long created_at { get; init; }
        public long? last_used_at { get; init; }
        public string rate_limits { get; init; } = "";

        public KeyRecord ToRecord() => new()
        {
            Id = id,
            Name = name,
            Sha256 = sha256,
            Scopes = StoredValues.SplitList(scopes),
            Expires = StoredValues.FromMilliseconds(expires_at),
            Disabled = disabled != 0,
            RevokedAt = StoredValues.FromMilliseconds(revoked_at),
            Origins = StoredValues.SplitList(origins),
            UserId = user_id,
            CreatedAt = StoredValues.FromMilliseconds(created_at)!.Value,
            LastUsedAt = StoredValues.FromMilliseconds(last_used_at),
            RateLimits = StoredValues.SplitRateLimits(rate_limits),
        };

        public static KeyRow From(KeyRecord key) => new()
        {
            id = key.Id,
            name = key.Name,
            sha256 = key.Sha256,
            scopes = StoredValues.JoinList(key.Scopes),
            expires_at = key.Expires?.ToUnixTimeMilliseconds(),
            disabled = key.Disabled ? 1 : 0,
            revoked_at = key.RevokedAt?.ToUnixTimeMilliseconds(),
            origins = StoredValues.JoinList(key.Origins),
            user_id = key.UserId,
            created_at = key.CreatedAt.ToUnixTimeMilliseconds(),
            last_used_at = key.LastUsedAt?.ToUnixTimeMilliseconds(),
            rate_limits = StoredValues.JoinRateLimits(key.RateLimits),
        };
    }
}
