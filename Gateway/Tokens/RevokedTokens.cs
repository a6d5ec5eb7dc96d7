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
/// kept current by the change feed (every instance hears of a logout within a second), reloaded whenever the
/// feed may have missed something, and every <see cref="ReloadInterval"/> in any case: a revocation whose
/// announcement was lost (the store took the write after the caller had given up on it) reaches every instance.
/// A logout whose write failed is answered 503 and is not marked here (the token is still valid, as the answer
/// says, and a retry works); it is written and announced again in the background until the store takes it,
/// so the logout the person asked for is not lost either.
/// </summary>
internal sealed partial class RevokedTokens(IRevokedTokenStore store, IChangeFeed changes, TimeProvider time, ILogger<RevokedTokens> logger) : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    /// <summary>How stale this instance's list may get when an announcement was lost.</summary>
    public static readonly TimeSpan ReloadInterval = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, DateTimeOffset> _revoked = new(StringComparer.Ordinal);

    /// <summary>Logouts answered 503: written and announced again until the store takes them.</summary>
    private readonly ConcurrentDictionary<string, DateTimeOffset> _pending = new(StringComparer.Ordinal);
    private volatile bool _loaded;

    /// <summary>Whether the list has been read from the store at least once: before that, no token can be called unrevoked.</summary>
    public bool IsLoaded => _loaded;

    public bool IsRevoked(string jti) => _revoked.ContainsKey(jti);

    public async Task RevokeAsync(string jti, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        try
        {
            await StoreAndAnnounceAsync(jti, expiresAt, cancellationToken);
        }
        catch
        {
            // Whatever stopped it (the store, or the client hanging up mid-stall), the logout asked for is finished
            // in the background.
            _pending[jti] = expiresAt;
            throw;
        }
    }

    private async Task StoreAndAnnounceAsync(string jti, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        await store.AddAsync(jti, expiresAt, cancellationToken);
        _revoked[jti] = expiresAt;
        _pending.TryRemove(jti, out _);
        await changes.PublishAsync(ChangeTopics.RevokedTokens, jti, cancellationToken);
    }

    /// <summary>Writes and announces the logouts that failed, once the store takes them.</summary>
    private async Task RetryPendingAsync(CancellationToken cancellationToken)
    {
        foreach (var (jti, expires) in _pending)
        {
            try
            {
                await StoreAndAnnounceAsync(jti, expires, cancellationToken);
            }
            catch (Exception ex) when (Storage.StoreErrors.IsNotOwnCancellation(ex, cancellationToken))
            {
                return; // the store still does not answer: next tick
            }
        }
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

        using var timer = new PeriodicTimer(RetryDelay, time);
        var lastReload = time.GetTimestamp();
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            await RetryPendingAsync(stoppingToken);
            if (time.GetElapsedTime(lastReload) >= ReloadInterval)
            {
                lastReload = time.GetTimestamp();
                await ReloadAsync(stoppingToken);
                DropExpired();
            }
        }
    }

    /// <summary>A revoked token past its exp is refused anyway: its entry can go.</summary>
    private void DropExpired()
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
        catch (Exception ex) when (Storage.StoreErrors.IsNotOwnCancellation(ex, cancellationToken))
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
