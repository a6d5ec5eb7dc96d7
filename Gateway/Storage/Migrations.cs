using System.Data.Common;
using Dapper;

namespace Tribuo.Gateway.Storage;

/// <summary>One versioned schema change. Versions only grow; an applied migration is never edited.</summary>
internal sealed record Migration(int Version, string Name, string Sql);

/// <summary>
/// Applies missing migrations inside one transaction that first takes an exclusive lock (an advisory lock on
/// PostgreSQL, <c>BEGIN IMMEDIATE</c> on SQLite), so two instances starting at once apply each migration once.
/// </summary>
internal static class MigrationRunner
{
    public static async Task<int> ApplyAsync(DbConnection connection, IReadOnlyList<Migration> migrations, string? lockSql, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (lockSql is not null)
        {
            await connection.ExecuteAsync(lockSql, transaction: transaction);
        }

        await connection.ExecuteAsync(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
            transaction: transaction);
        var applied = (await connection.QueryAsync<int>("SELECT version FROM schema_migrations", transaction: transaction)).ToHashSet();

        var count = 0;
        foreach (var migration in migrations.OrderBy(m => m.Version))
        {
            if (applied.Contains(migration.Version))
            {
                continue;
            }

            await connection.ExecuteAsync(migration.Sql, transaction: transaction);
            await connection.ExecuteAsync(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@Version, @Name, @At)",
                new { migration.Version, migration.Name, At = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() },
                transaction);
            count++;
        }

        await transaction.CommitAsync(cancellationToken);
        return count;
    }
}
