using System.Collections.Concurrent;
using Tribuo.Gateway.Storage;

namespace Tribuo.Gateway.Tokens;

/// <summary>Revoked token ids until their expiry: Redis when configured, else the embedded store.</summary>
internal interface IRevokedTokenStore
{
    Task AddAsync(string jti, DateTimeOffset expiresAt, CancellationToken cancellationToken = default);

    Task<IReadOnlyDictionary<string, DateTimeOffset>> ListActiveAsync(DateTimeOffset now, CancellationToken cancellationToken = default);
}

/// <summary>
/// Which tokens are revoked, in memory, so checking a token costs no store round trip. Loaded at start,
/// kept current by the change feed (every instance hears of a logout within a second), and reloaded
/// whenever the feed may have missed something.
/// </summary>
internal sealed partial class RevokedTokens(IRevokedTokenStore store, IChangeFeed changes, TimeProvider time, ILogger<RevokedTokens> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _revoked = new(StringComparer.Ordinal);

    public bool IsRevoked(string jti) => _revoked.ContainsKey(jti);

    public async Task RevokeAsync(string jti, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        _revoked[jti] = expiresAt;
        await store.AddAsync(jti, expiresAt, cancellationToken);
        await changes.PublishAsync(ChangeTopics.RevokedTokens, jti, cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await changes.SubscribeAsync(ChangeTopics.RevokedTokens,
            jti => _revoked.TryAdd(jti, DateTimeOffset.MaxValue),
            () => _ = ReloadAsync(stoppingToken),
            stoppingToken);

        // Expired entries are dropped once an hour; a revoked token past its exp is refused anyway.
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1), time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var now = time.GetUtcNow();
            foreach (var (jti, expires) in _revoked)
            {
                if (expires < now)
                {
                    _revoked.TryRemove(jti, out _);
                }
            }
        }
    }

    public async Task ReloadAsync(CancellationToken cancellationToken)
    {
        try
        {
            foreach (var (jti, expires) in await store.ListActiveAsync(time.GetUtcNow(), cancellationToken))
            {
                _revoked[jti] = expires;
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.ReloadFailed(logger, ex.GetType().Name);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 510, Level = LogLevel.Warning, Message = "Could not load revoked tokens ({Kind}); will retry on the next reconnect")]
        public static partial void ReloadFailed(ILogger logger, string kind);
    }
}
