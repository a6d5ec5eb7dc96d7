using Tribuo.Gateway.Hosting;
using Tribuo.Gateway.Keys;
using Tribuo.Gateway.Storage.Postgres;
using Tribuo.Gateway.Storage.Redis;
using Tribuo.Gateway.Storage.Sqlite;

namespace Tribuo.Gateway.Storage;

internal static class StorageExtensions
{
    /// <summary>
    /// Picks each store's backend from configuration: Redis for keys when <c>ConnectionStrings:Redis</c> is
    /// set, PostgreSQL for users when <c>ConnectionStrings:Postgres</c> is set, the embedded SQLite file for
    /// whatever is left. Every backend chosen is also a readiness check.
    /// </summary>
    public static IServiceCollection AddGatewayStorage(this IServiceCollection services, IConfiguration configuration)
    {
        var redis = configuration.GetConnectionString("Redis");
        var postgres = configuration.GetConnectionString("Postgres");
        var embeddedNeeded = string.IsNullOrWhiteSpace(redis) || string.IsNullOrWhiteSpace(postgres);

        if (embeddedNeeded)
        {
            services.AddSingleton(sp => new SqliteDatabase(sp.GetRequiredService<GatewayPaths>().DataDir));
            services.AddSingleton<IStoreCheck>(sp => sp.GetRequiredService<SqliteDatabase>());
        }

        if (string.IsNullOrWhiteSpace(redis))
        {
            services.AddSingleton<IKeyStore, SqliteKeyStore>();
        }
        else
        {
            services.AddSingleton(new RedisConnection(redis));
            services.AddSingleton<IStoreCheck>(sp => sp.GetRequiredService<RedisConnection>());
            services.AddSingleton<IKeyStore, RedisKeyStore>();
        }

        if (!string.IsNullOrWhiteSpace(postgres))
        {
            services.AddSingleton(new PostgresDatabase(postgres));
            services.AddSingleton<IStoreCheck>(sp => sp.GetRequiredService<PostgresDatabase>());
        }

        services.AddHostedService<StoreInitializer>();
        return services;
    }
}
