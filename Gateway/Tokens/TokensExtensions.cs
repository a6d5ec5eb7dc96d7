using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Options;
using Tribuo.Gateway.Storage;
using Tribuo.Gateway.Storage.Redis;
using Tribuo.Gateway.Storage.Sqlite;

namespace Tribuo.Gateway.Tokens;

internal static class TokensExtensions
{
    /// <summary>JWT signing and checking, revocations, and data protection keys shared through the stores.</summary>
    public static IServiceCollection AddGatewayTokens(this IServiceCollection services)
    {
        services.AddSingleton(sp => TokenOptions.Read(sp.GetRequiredService<IConfiguration>()));

        services.AddSingleton<SecretsKey>();
        services.AddSingleton<ISigningKeyStore>(sp =>
        {
            var sql = new SqlSigningKeyStore(StorageExtensions.UsersDatabase(sp), sp.GetRequiredService<SecretsKey>());
            var stores = sp.GetRequiredService<StoreSelection>();
            return stores.UsesPostgres && stores.UsesRedis
                ? new RedisSigningKeyMirror(sql, sp.GetRequiredService<RedisConnection>(), sp.GetRequiredService<SecretsKey>(), sp.GetRequiredService<ILogger<RedisSigningKeyMirror>>())
                : sql;
        });
        services.AddSingleton<IRevokedTokenStore>(sp => sp.GetRequiredService<StoreSelection>().UsesRedis
            ? new RedisRevokedTokenStore(sp.GetRequiredService<RedisConnection>())
            : new SqliteRevokedTokenStore(sp.GetRequiredService<SqliteDatabase>()));
        services.AddSingleton<SigningKeys>();
        services.AddSingleton<RevokedTokens>();
        services.AddHostedService(sp => sp.GetRequiredService<RevokedTokens>());
        services.AddHostedService<SigningKeysLoader>();
        services.AddSingleton<TokenService>();
        services.AddSingleton<AssertionCache>();

        services.AddDataProtection().SetApplicationName("tribuo-gateway");
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp =>
            new ConfigureOptions<KeyManagementOptions>(o =>
            {
                o.XmlRepository = new SqlXmlRepository(StorageExtensions.UsersDatabaseSync(sp));
                o.XmlEncryptor = new SecretsKeyXmlEncryptor(sp.GetRequiredService<SecretsKey>());
            }));
        return services;
    }
}

/// <summary>
/// Loads (or creates) the signing keys at start, retrying while the store is unreachable, and reloads them
/// when another instance rotates. Until they load, endpoints that sign or check tokens answer 503.
/// </summary>
internal sealed partial class SigningKeysLoader(SigningKeys keys, IChangeFeed changes, ILogger<SigningKeysLoader> logger) : BackgroundService
{
    /// <summary>A first attempt before the server takes requests, so a healthy start never answers 503.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await keys.LoadAsync(cancellationToken).WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
        }
        catch (Exception ex) when (Storage.StoreErrors.IsNotOwnCancellation(ex, cancellationToken))
        {
            Log.NotLoaded(logger, ex.GetType().Name);
        }

        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!keys.IsLoaded && !stoppingToken.IsCancellationRequested)
        {
            try
            {
                await keys.LoadAsync(stoppingToken);
                break;
            }
            catch (Exception ex) when (Storage.StoreErrors.IsNotOwnCancellation(ex, stoppingToken))
            {
                Log.NotLoaded(logger, ex.GetType().Name);
                await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken);
            }
        }

        await changes.SubscribeAsync(ChangeTopics.SigningKeys, kid => Reload(stoppingToken), () => Reload(stoppingToken), stoppingToken);
    }

    private void Reload(CancellationToken cancellationToken) => _ = ReloadAsync(cancellationToken);

    private async Task ReloadAsync(CancellationToken cancellationToken)
    {
        try
        {
            await keys.LoadAsync(cancellationToken);
        }
        catch (Exception ex) when (Storage.StoreErrors.IsNotOwnCancellation(ex, cancellationToken))
        {
            Log.NotLoaded(logger, ex.GetType().Name);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 501, Level = LogLevel.Warning, Message = "Signing keys not loaded yet ({Kind}); retrying")]
        public static partial void NotLoaded(ILogger logger, string kind);
    }
}
