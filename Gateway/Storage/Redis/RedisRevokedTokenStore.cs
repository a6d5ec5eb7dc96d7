using StackExchange.Redis;
using Tribuo.Gateway.Tokens;

namespace Tribuo.Gateway.Storage.Redis;

/// <summary>Revoked token ids in the sorted set <c>tgw:revoked-tokens</c>, scored by their expiry (Unix ms).</summary>
internal sealed class RedisRevokedTokenStore(RedisConnection redis) : IRevokedTokenStore
{
    private const string SetKey = RedisConnection.Prefix + "revoked-tokens";

    public async Task AddAsync(string jti, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        var database = await redis.GetDatabaseAsync();
        await database.SortedSetAddAsync(SetKey, jti, expiresAt.ToUnixTimeMilliseconds());
    }

    public async Task<IReadOnlyDictionary<string, DateTimeOffset>> ListActiveAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var database = await redis.GetDatabaseAsync();
        await database.SortedSetRemoveRangeByScoreAsync(SetKey, double.NegativeInfinity, now.ToUnixTimeMilliseconds());
        var entries = await database.SortedSetRangeByScoreWithScoresAsync(SetKey, now.ToUnixTimeMilliseconds());
        return entries.ToDictionary(e => (string)e.Element!, e => DateTimeOffset.FromUnixTimeMilliseconds((long)e.Score));
    }
}
