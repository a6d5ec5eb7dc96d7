using StackExchange.Redis;
using Tribuo.Gateway.Keys;

namespace Tribuo.Gateway.Storage.Redis;

/// <summary>
/// Key changes over the Redis channel <c>tgw:keys:changed</c> (message: the key's sha256). Pub/sub delivers
/// in milliseconds but drops messages while a connection is down, so every reconnect is a reset. A
/// disconnect is not: the cache is what keeps recently validated keys working during an outage.
/// </summary>
internal sealed partial class RedisKeyChangeFeed(RedisConnection redis, ILogger<RedisKeyChangeFeed> logger) : IKeyChangeFeed
{
    private static readonly RedisChannel Channel = RedisConnection.Prefix + "keys:changed";
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    public async Task PublishAsync(string sha256, CancellationToken cancellationToken = default)
    {
        var multiplexer = await redis.GetMultiplexerAsync();
        await multiplexer.GetSubscriber().PublishAsync(Channel, sha256);
    }

    public async Task SubscribeAsync(Action<string> changed, Action reset, CancellationToken cancellationToken)
    {
        var multiplexer = await redis.GetMultiplexerAsync();
        multiplexer.ConnectionRestored += (_, _) => reset();
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await multiplexer.GetSubscriber().SubscribeAsync(Channel, (_, message) => changed(message!));
                reset(); // anything published before the subscription existed was missed
                return;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                Log.SubscribeFailed(logger, ex.GetType().Name);
                await Task.Delay(RetryDelay, cancellationToken);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 310, Level = LogLevel.Warning, Message = "Cannot subscribe to key changes in Redis yet ({Kind}); retrying")]
        public static partial void SubscribeFailed(ILogger logger, string kind);
    }
}
