using Dapper;
using Tribuo.Gateway.Tokens;

namespace Tribuo.Gateway.Storage.Sqlite;

internal sealed class SqliteRevokedTokenStore(SqliteDatabase database) : IRevokedTokenStore
{
    public async Task AddAsync(string jti, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync("INSERT INTO revoked_tokens (jti, expires_at) VALUES (@jti, @at) ON CONFLICT (jti) DO NOTHING",
            new { jti, at = expiresAt.ToUnixTimeMilliseconds() });
    }

    public async Task<IReadOnlyDictionary<string, DateTimeOffset>> ListActiveAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var ms = now.ToUnixTimeMilliseconds();
        await connection.ExecuteAsync("DELETE FROM revoked_tokens WHERE expires_at < @ms", new { ms });
        var rows = await connection.QueryAsync<RevokedRow>("SELECT jti AS Jti, expires_at AS ExpiresAt FROM revoked_tokens");
        return rows.ToDictionary(r => r.Jti, r => DateTimeOffset.FromUnixTimeMilliseconds(r.ExpiresAt));
    }

    internal sealed class RevokedRow
    {
        public string Jti { get; init; } = "";
        public long ExpiresAt { get; init; }
    }
}
