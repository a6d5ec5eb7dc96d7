using Tribuo.Gateway.Storage.Redis;
using Tribuo.Gateway.Storage.Sqlite;

namespace Tribuo.Gateway.Storage;

/// <summary>
/// Tells every instance that something changed (a key, a revoked token, a signing key) so they drop what
/// they cached: Redis pub/sub when Redis is configured, otherwise a table of the embedded store that every
/// process sharing the file polls. A reset means "changes may have been missed: forget everything".
/// </summary>
internal interface IChangeFeed
{
    Task PublishAsync(string topic, string payload, CancellationToken cancellationToken = default);

    /// <summary>Starts delivering <paramref name="topic"/>'s changes; returns once delivery is set up (or retrying in the background).</summary>
    Task SubscribeAsync(string topic, Action<string> changed, Action reset, CancellationToken cancellationToken);

    /// <summary>
    /// Whether changes on this subscribed <paramref name="topic"/> are reaching this instance right now: the feed was
    /// heard within <see cref="ChangeFeedLiveness.Window"/> (a heartbeat on Redis, a successful poll on the embedded store).
    /// </summary>
    bool IsLive(string topic);
}

/// <summary>How a feed proves it still delivers: something heard every <see cref="Interval"/>, trusted for <see cref="Window"/>.</summary>
internal static class ChangeFeedLiveness
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(3);

    /// <summary>The payload of a heartbeat: never a key hash, token id or key id, and never passed on as a change.</summary>
    public const string Heartbeat = "~heartbeat";
}

/// <summary>When each subscribed topic was last heard (a message on Redis, a successful poll on the embedded store).</summary>
internal sealed class TopicsHeard(TimeProvider time)
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _lastHeard = new(StringComparer.Ordinal);

    public void Heard(string topic) => _lastHeard[topic] = time.GetTimestamp();

    /// <summary>Heard within <see cref="ChangeFeedLiveness.Window"/>.</summary>
    public bool IsLive(string topic) =>
        _lastHeard.TryGetValue(topic, out var heard) && time.GetElapsedTime(heard) < ChangeFeedLiveness.Window;
}

/// <summary>The topics instances tell each other about.</summary>
internal static class ChangeTopics
{
    /// <summary>Payload: the sha256 of a key that was created, revoked, rotated or edited.</summary>
    public const string Keys = "keys:changed";

    /// <summary>Payload: the <c>jti</c> of a revoked token.</summary>
    public const string RevokedTokens = "tokens:revoked";

    /// <summary>Payload: the <c>kid</c> of a new signing key.</summary>
    public const string SigningKeys = "signing-keys:changed";

    public static IServiceCollection AddChangeFeed(this IServiceCollection services) =>
        services.AddSingleton<IChangeFeed>(sp => sp.GetRequiredService<StoreSelection>().UsesRedis
            ? ActivatorUtilities.CreateInstance<RedisChangeFeed>(sp)
            : ActivatorUtilities.CreateInstance<SqliteChangeFeed>(sp));
}
