using Dapper;
using Tribuo.Gateway.Keys;

namespace Tribuo.Gateway.Storage.Sqlite;

/// <summary>Key listing pages on the embedded store: <c>id &gt; cursor ORDER BY id LIMIT n</c> on the primary key.</summary>
internal sealed class SqliteKeyPager(SqliteDatabase database, SqliteKeyStore store) : IKeyPager
{
    public async Task<KeyPage> ListAsync(KeyQuery query, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        // Scopes are stored space-separated; instr on padded strings matches whole scopes, and unlike LIKE treats '_' literally.
        var ids = (await connection.QueryAsync<string>(
            """
            SELECT id FROM keys
            WHERE (@after IS NULL OR id > @after)
              AND (@prefix IS NULL OR substr(id, 1, length(@prefix)) = @prefix)
              AND (@user IS NULL OR user_id = @user)
              AND (@scope IS NULL OR instr(' ' || scopes || ' ', ' ' || @scope || ' ') > 0)
            ORDER BY id LIMIT @take
            """,
            new { after = query.After, prefix = query.IdPrefix, user = query.UserId, scope = query.Scope, take = query.Limit + 1 })).ToList();
        var page = ids.Take(query.Limit).ToList();
        var keys = new List<KeyRecord>(page.Count);
        foreach (var id in page)
        {
            if (await store.GetAsync(id, cancellationToken) is { } key)
            {
                keys.Add(key);
            }
        }

        return new KeyPage(keys, ids.Count > query.Limit ? KeyQuery.CursorAfter(page[^1]) : null);
    }
}
