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
/// Which tokens are revoked, in memory, so checking a token costs no store round trip. Loaded at start
/// (retried until it succeeds: until then <see cref="IsLoaded"/> is false and user tokens get 503, DESIGN §5),
/// kept current by the change feed (every instance hears of a logout within a second), and reloaded
/// whenever the feed may have missed something.
/// </summary>
internal sealed partial class RevokedTokens(IRevokedTokenStore store, IChangeFeed changes, TimeProvider time, ILogger<RevokedTokens> logger) : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, DateTimeOffset> _revoked = new(StringComparer.Ordinal);
    private volatile bool _loaded;

    /// <summary>Whether the list has been read from the store at least once: before that, no token can be called unrevoked.</summary>
    public bool IsLoaded => _loaded;

    public bool IsRevoked(string jti) => _revoked.ContainsKey(jti);

    public async Task RevokeAsync(string jti, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        _revoked[jti] = expiresAt;
        await store.AddAsync(jti, expiresAt, cancellationToken);
        await changes.PublishAsync(ChangeTopics.RevokedTokens, jti, cancellationToken);
    }

    /// <summary>A first load before the server takes requests, so a healthy start never answers 503.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await ReloadAsync(cancellationToken).WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
        }
        catch (TimeoutException)
        {
            // The store is slow or down: ExecuteAsync keeps trying.
        }

        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var subscribed = changes.SubscribeAsync(ChangeTopics.RevokedTokens,
            jti => _revoked.TryAdd(jti, DateTimeOffset.MaxValue),
            () => _ = ReloadAsync(stoppingToken),
            stoppingToken);
        while (!_loaded)
        {
            await ReloadAsync(stoppingToken);
            if (!_loaded)
            {
                await Task.Delay(RetryDelay, time, stoppingToken);
            }
        }

        await subscribed;

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

            _loaded = true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.ReloadFailed(logger, ex.GetType().Name);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 510, Level = LogLevel.Warning, Message = "Could not load revoked tokens ({Kind}); retrying")]
        public static partial void ReloadFailed(ILogger logger, string kind);
    }
}
