using StackExchange.Redis;
using Tribuo.Gateway.Keys;

namespace Tribuo.Gateway.Storage.Redis;

/// <summary>
/// Key listing pages on Redis: <c>tgw:keys:by-id</c>, a sorted set of every id at score 0, read in lexical order with
/// <c>ZRANGEBYLEX</c> from the cursor, so a page costs a bounded number of commands whatever the number of keys.
/// Filters on user or scope need the records: at most <see cref="ScanFactor"/> × the limit ids are read per page,
/// after which the page ends early with a cursor (a page may then hold fewer keys than asked, never skip one).
/// </summary>
internal sealed class RedisKeyPager(RedisConnection redis, RedisKeyStore store) : IKeyPager
{
    public const string IdIndex = RedisConnection.Prefix + "keys:by-id";
    private const string KeysSet = RedisConnection.Prefix + "keys";
    private const int ScanFactor = 10;

    private volatile bool _indexComplete;

    public async Task<KeyPage> ListAsync(KeyQuery query, CancellationToken cancellationToken = default)
    {
        var database = await redis.GetDatabaseAsync();
        await EnsureIndexAsync(database);

        var keys = new List<KeyRecord>(query.Limit);
        var after = query.After;
        var read = 0;
        while (keys.Count < query.Limit && read < query.Limit * ScanFactor)
        {
            var ids = await RangeAsync(database, query, after, query.Limit - keys.Count);
            if (ids.Length == 0)
            {
                return new KeyPage(keys, null);
            }

            read += ids.Length;
            var records = await Task.WhenAll(ids.Select(id => store.GetAsync(id!, cancellationToken)));
            keys.AddRange(records.OfType<KeyRecord>().Where(query.Matches));
            after = ids[^1]!;
        }

        var more = await RangeAsync(database, query, after, 1);
        return new KeyPage(keys, more.Length == 0 ? null : KeyQuery.CursorAfter(after!));
    }

    /// <summary>Up to <paramref name="take"/> ids after <paramref name="after"/> (exclusive) that start with the query's prefix.</summary>
    private static Task<RedisValue[]> RangeAsync(IDatabase database, KeyQuery query, string? after, int take)
    {
        var min = after is not null ? (RedisValue)after : query.IdPrefix is not null ? (RedisValue)query.IdPrefix : default;
        // Ids are ASCII below 0x7f, so every id with the prefix sorts before prefix + DEL.
        var max = query.IdPrefix is not null ? (RedisValue)(query.IdPrefix + "\u007f") : default;
        var exclude = (after is not null ? Exclude.Start : Exclude.None) | (query.IdPrefix is not null ? Exclude.Stop : Exclude.None);
        return database.SortedSetRangeByValueAsync(IdIndex, min, max, exclude, Order.Ascending, 0, take);
    }

    /// <summary>Keys created before the index existed are added once, from the set of ids.</summary>
    private async Task EnsureIndexAsync(IDatabase database)
    {
        if (_indexComplete)
        {
            return;
        }

        if (await database.SortedSetLengthAsync(IdIndex) < await database.SetLengthAsync(KeysSet))
        {
            var batch = new List<SortedSetEntry>(1000);
            await foreach (var id in database.SetScanAsync(KeysSet, pageSize: 1000))
            {
                batch.Add(new SortedSetEntry(id, 0));
                if (batch.Count == 1000)
                {
                    await database.SortedSetAddAsync(IdIndex, batch.ToArray());
                    batch.Clear();
                }
            }

            if (batch.Count > 0)
            {
                await database.SortedSetAddAsync(IdIndex, batch.ToArray());
            }
        }

        _indexComplete = true;
    }
}
