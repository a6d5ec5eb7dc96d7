using Dapper;
using Npgsql;
using Tribuo.Gateway.Storage.Postgres;
using Tribuo.Gateway.Storage.Sqlite;
using Tribuo.Gateway.Tests.Infrastructure;
using Xunit;

namespace Tribuo.Gateway.Tests.Storage;

public sealed class MigrationTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task Two_instances_migrating_PostgreSQL_at_once_apply_each_migration_once()
    {
        var connectionString = postgres.RequireServer();
        var instances = Enumerable.Range(0, 4).Select(_ => new PostgresDatabase(connectionString)).ToArray();

        await Task.WhenAll(instances.Select(i => i.EnsureMigratedAsync()));

        await using var connection = new NpgsqlConnection(connectionString);
        var versions = (await connection.QueryAsync<int>("SELECT version FROM schema_migrations")).ToList();
        Assert.Equal(PostgresMigrations.All.Select(m => m.Version), versions.Order());
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM information_schema.tables WHERE table_name = 'users'"));
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM information_schema.tables WHERE table_name = 'datapass_users'"));
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM information_schema.tables WHERE table_name = 'legacy_users'"));
        foreach (var instance in instances)
        {
            Assert.Null(await instance.CheckAsync(TestContext.Current.CancellationToken));
            await instance.DisposeAsync();
        }
    }

    [Fact]
    public async Task The_users_table_enforces_one_user_per_email_whatever_the_case()
    {
        var connectionString = await postgres.CreateExtraDatabaseAsync();
        await using var database = new PostgresDatabase(connectionString);
        await using var connection = await database.OpenAsync(TestContext.Current.CancellationToken);

        await connection.ExecuteAsync("INSERT INTO users (id, email) VALUES ('1', 'Elliot@Tribuo.fr')");
        await Assert.ThrowsAsync<PostgresException>(() => connection.ExecuteAsync("INSERT INTO users (id, email) VALUES ('2', 'elliot@tribuo.fr')"));
    }

    [Fact]
    public async Task Two_instances_migrating_the_embedded_file_at_once_apply_each_migration_once()
    {
        var directory = Directory.CreateTempSubdirectory("tgw-sqlite-").FullName;
        try
        {
            var instances = Enumerable.Range(0, 4).Select(_ => new SqliteDatabase(directory)).ToArray();
            await Task.WhenAll(instances.Select(i => Task.Run(i.EnsureMigratedAsync)));

            await using var connection = await instances[0].OpenAsync(TestContext.Current.CancellationToken);
            var versions = (await connection.QueryAsync<long>("SELECT version FROM schema_migrations")).Select(v => (int)v).Order();
            Assert.Equal(SqliteMigrations.All.Select(m => m.Version), versions);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }
}
