using StackExchange.Redis;

namespace Tribuo.Gateway.Storage.Redis;

/// <summary>
/// Changes over Redis channels <c>tgw:{topic}</c>. Pub/sub delivers in milliseconds but drops messages
/// while a connection is down, so every reconnect is a reset. A disconnect is not: caches are what keep
/// recently validated credentials working during an outage.
/// </summary>
internal sealed partial class RedisChangeFeed(RedisConnection redis, ILogger<RedisChangeFeed> logger) : IChangeFeed
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    private static RedisChannel Channel(string topic) => RedisChannel.Literal(RedisConnection.Prefix + topic);

    public async Task PublishAsync(string topic, string payload, CancellationToken cancellationToken = default)
    {
        var multiplexer = await redis.GetMultiplexerAsync();
        await multiplexer.GetSubscriber().PublishAsync(Channel(topic), payload);
    }

    public async Task SubscribeAsync(string topic, Action<string> changed, Action reset, CancellationToken cancellationToken)
    {
        var multiplexer = await redis.GetMultiplexerAsync();
        multiplexer.ConnectionRestored += (_, _) => reset();
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await multiplexer.GetSubscriber().SubscribeAsync(Channel(topic), (_, message) => changed(message!));
                reset(); // anything published before the subscription existed was missed
                return;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                Log.SubscribeFailed(logger, topic, ex.GetType().Name);
                await Task.Delay(RetryDelay, cancellationToken);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 310, Level = LogLevel.Warning, Message = "Cannot subscribe to {Topic} in Redis yet ({Kind}); retrying")]
        public static partial void SubscribeFailed(ILogger logger, string topic, string kind);
    }
}
