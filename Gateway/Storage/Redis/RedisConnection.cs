using StackExchange.Redis;

namespace Tribuo.Gateway.Storage.Redis;

/// <summary>
/// The one place that knows the Redis client (StackExchange.Redis 2.x), so an upgrade touches one folder. Connects lazily and with <c>abortConnect=false</c>: the gateway starts, and
/// recovers by itself, while Redis is down.
/// </summary>
internal sealed class RedisConnection : IStoreCheck, IDisposable
{
    /// <summary>Every key the gateway writes starts with this, so a shared Redis stays readable.</summary>
    public const string Prefix = "tgw:";

    private readonly Lazy<Task<ConnectionMultiplexer>> _multiplexer;

    public RedisConnection(string configuration)
    {
        var options = ConfigurationOptions.Parse(configuration);
        options.AbortOnConnectFail = false;
        _multiplexer = new Lazy<Task<ConnectionMultiplexer>>(() => ConnectionMultiplexer.ConnectAsync(options));
    }

    public string Name => "redis";

    public async Task<IDatabase> GetDatabaseAsync() => (await _multiplexer.Value).GetDatabase();

    public Task<ConnectionMultiplexer> GetMultiplexerAsync() => _multiplexer.Value;

    public async Task<string?> CheckAsync(CancellationToken cancellationToken)
    {
        try
        {
            var database = await GetDatabaseAsync();
            await database.PingAsync();
            return null;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // The exception text can carry the endpoint list but never the password; still, keep it short.
            return $"redis is unreachable ({ex.GetType().Name})";
        }
    }

    public void Dispose()
    {
        if (_multiplexer.IsValueCreated && _multiplexer.Value.IsCompletedSuccessfully)
        {
            _multiplexer.Value.Result.Dispose();
        }
    }
}
