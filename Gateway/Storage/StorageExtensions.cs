using Tribuo.Gateway.Hosting;
using Tribuo.Gateway.Keys;
using Tribuo.Gateway.Users;
using Tribuo.Gateway.Storage.Postgres;
using Tribuo.Gateway.Storage.Redis;
using Tribuo.Gateway.Storage.Sqlite;

namespace Tribuo.Gateway.Storage;

/// <summary>Which backend holds what, read from configuration when the first store is resolved.</summary>
internal sealed record StoreSelection(string? Redis, string? Postgres)
{
    public bool UsesRedis => !string.IsNullOrWhiteSpace(Redis);
    public bool UsesPostgres => !string.IsNullOrWhiteSpace(Postgres);
    public bool UsesEmbedded => !UsesRedis || !UsesPostgres;

    public static StoreSelection From(IConfiguration configuration) =>
        new(configuration.GetConnectionString("Redis"), configuration.GetConnectionString("Postgres"));
}

internal static class StorageExtensions
{
    /// <summary>
    /// Redis for keys when <c>ConnectionStrings:Redis</c> is set, PostgreSQL for users when
    /// <c>ConnectionStrings:Postgres</c> is set, the embedded SQLite file for whatever is left. Everything is
    /// decided at resolution time, so configuration added by hosts and tests after this call still counts.
    /// </summary>
    public static IServiceCollection AddGatewayStorage(this IServiceCollection services)
    {
        services.AddSingleton(sp => StoreSelection.From(sp.GetRequiredService<IConfiguration>()));
        services.AddSingleton(sp => new SqliteDatabase(sp.GetRequiredService<GatewayPaths>().DataDir));
        services.AddSingleton(sp => new RedisConnection(
            sp.GetRequiredService<StoreSelection>().Redis!,
            sp.GetRequiredService<IConfiguration>()["Gateway:Redis:TrustedCertificate"] is { Length: > 0 } certificate ? Path.GetFullPath(certificate) : null));
        services.AddSingleton(sp => new PostgresDatabase(sp.GetRequiredService<StoreSelection>().Postgres!));

        services.AddSingleton<IKeyStore>(sp => sp.GetRequiredService<StoreSelection>().UsesRedis
            ? new RedisKeyStore(sp.GetRequiredService<RedisConnection>())
            : new SqliteKeyStore(sp.GetRequiredService<SqliteDatabase>()));

        services.AddSingleton<IKeyPager>(sp => sp.GetRequiredService<StoreSelection>().UsesRedis
            ? new RedisKeyPager(sp.GetRequiredService<RedisConnection>(), (RedisKeyStore)sp.GetRequiredService<IKeyStore>())
            : new SqliteKeyPager(sp.GetRequiredService<SqliteDatabase>(), (SqliteKeyStore)sp.GetRequiredService<IKeyStore>()));

        services.AddSingleton<IUserStore>(sp => new SqlUserStore(
            UsersDatabase(sp),
            sp.GetRequiredService<StoreSelection>().UsesPostgres ? SqlUserStore.Dialect.Postgres : SqlUserStore.Dialect.Sqlite,
            sp.GetRequiredService<TimeProvider>()));

        services.AddSingleton(sp => ConfiguredStores(sp));
        services.AddHostedService<StoreInitializer>();
        return services;
    }

    /// <summary>The database that holds users, signing keys and data protection keys: PostgreSQL when configured, else the embedded file.</summary>
    public static Func<CancellationToken, Task<System.Data.Common.DbConnection>> UsersDatabase(IServiceProvider services) =>
        services.GetRequiredService<StoreSelection>().UsesPostgres
            ? async ct => await services.GetRequiredService<PostgresDatabase>().OpenAsync(ct)
            : async ct => await services.GetRequiredService<SqliteDatabase>().OpenAsync(ct);

    /// <summary><see cref="UsersDatabase"/> opened synchronously, for the data-protection key ring.</summary>
    public static Func<System.Data.Common.DbConnection> UsersDatabaseSync(IServiceProvider services) =>
        services.GetRequiredService<StoreSelection>().UsesPostgres
            ? () => services.GetRequiredService<PostgresDatabase>().Open()
            : () => services.GetRequiredService<SqliteDatabase>().Open();

    /// <summary>Every store this instance uses, for readiness and migrations.</summary>
    private static IReadOnlyList<IStoreCheck> ConfiguredStores(IServiceProvider services)
    {
        var selection = services.GetRequiredService<StoreSelection>();
        var stores = new List<IStoreCheck>();
        if (selection.UsesEmbedded)
        {
            stores.Add(services.GetRequiredService<SqliteDatabase>());
        }

        if (selection.UsesRedis)
        {
            stores.Add(services.GetRequiredService<RedisConnection>());
        }

        if (selection.UsesPostgres)
        {
            stores.Add(services.GetRequiredService<PostgresDatabase>());
        }

        return stores;
    }
}
