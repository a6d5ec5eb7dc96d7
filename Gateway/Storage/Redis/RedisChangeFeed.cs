using StackExchange.Redis;

namespace Tribuo.Gateway.Storage.Redis;

/// <summary>
/// Changes over Redis channels <c>tgw:{topic}</c>. Pub/sub delivers in milliseconds but drops messages
/// while a connection is down, so every reconnect is a reset. A disconnect is not: caches are what keep
/// recently validated credentials working during an outage. Every instance publishes a heartbeat on each topic
/// it subscribes to, every second: hearing any message on a topic (its own heartbeat at least) proves the
/// channel delivers, end to end through Redis, which a connection that looks open does not (a paused server).
/// </summary>
internal sealed partial class RedisChangeFeed(RedisConnection redis, TimeProvider time, ILogger<RedisChangeFeed> logger) : IChangeFeed
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    private readonly TopicsHeard _heard = new(time);

    public bool IsLive(string topic) => _heard.IsLive(topic);

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
                await multiplexer.GetSubscriber().SubscribeAsync(Channel(topic), (_, message) =>
                {
                    _heard.Heard(topic);
                    if (message != ChangeFeedLiveness.Heartbeat)
                    {
                        changed(message!);
                    }
                });
                reset(); // anything published before the subscription existed was missed
                _ = Task.Run(() => HeartbeatAsync(topic, cancellationToken), CancellationToken.None);
                return;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                Log.SubscribeFailed(logger, topic, ex.GetType().Name);
                await Task.Delay(RetryDelay, cancellationToken);
            }
        }
    }

    private async Task HeartbeatAsync(string topic, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(ChangeFeedLiveness.Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                try
                {
                    await PublishAsync(topic, ChangeFeedLiveness.Heartbeat, cancellationToken);
                }
                catch (Exception ex) when (StoreErrors.IsNotOwnCancellation(ex, cancellationToken))
                {
                    // Not heard, so not live: the caches fall back to their short revalidation on their own. Any failure,
                    // a cancellation from the client tearing a hung connection down too: it ended this loop for good.
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 310, Level = LogLevel.Warning, Message = "Cannot subscribe to {Topic} in Redis yet ({Kind}); retrying")]
        public static partial void SubscribeFailed(ILogger logger, string topic, string kind);
    }
}
