using System.Collections.Concurrent;

namespace Tribuo.Gateway.Keys;

/// <summary>
/// Which site keys are bound to a browser origin: what a CORS preflight (which carries no credential) is
/// decided on. Loaded per origin from the store's origin index, one load at a time per origin, remembered
/// until a key changes or for <see cref="MaxAge"/>: an unauthenticated preflight costs at most one small
/// store read, whatever the number of keys (DESIGN §4, issue 9 item 9). A store that cannot be read is told
/// apart from an origin without keys: what a previous load allowed stays allowed, anything else is unknown.
/// </summary>
internal sealed partial class SiteOrigins(IKeyStore store, KeyOptions options, TimeProvider time, ILogger<SiteOrigins> logger)
{
    private static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(30);

    /// <summary>After a failed load, the previous answer (or none) is kept this long before the store is asked again.</summary>
    private static readonly TimeSpan RetryAfterFailure = TimeSpan.FromSeconds(2);

    /// <summary>Strangers choose the origins: the memory they can fill is bounded.</summary>
    private const int MaxOrigins = 10_000;

    private readonly ConcurrentDictionary<string, Lazy<Task<Loaded>>> _byOrigin = new(StringComparer.Ordinal);

    /// <summary><paramref name="Failed"/>: the store could not be read; <paramref name="Keys"/> are the last ones it gave.</summary>
    private sealed record Loaded(CachedKey[] Keys, long ExpiresAt, bool Failed = false);

    public void Invalidate() => _byOrigin.Clear();

    /// <summary>Whether some active key bound to <paramref name="origin"/> may call a route needing <paramref name="scopes"/>.</summary>
    public async ValueTask<SiteOriginAnswer> AllowsAsync(string origin, IReadOnlyList<string> scopes)
    {
        var loaded = await LoadAsync(origin);
        var now = time.GetUtcNow();
        foreach (var key in loaded.Keys)
        {
            var record = key.Record!;
            if (record.RevokedAt is null && !record.Disabled && (record.Expires is null || record.Expires > now)
                && (scopes.Count == 0 ? key.HasAllScopes : key.HoldsAnyOf(scopes)))
            {
                return SiteOriginAnswer.Allowed;
            }
        }

        return loaded.Failed ? SiteOriginAnswer.StoreUnreachable : SiteOriginAnswer.Refused;
    }

    private Task<Loaded> LoadAsync(string origin)
    {
        Lazy<Task<Loaded>>? current = null;
        if (_byOrigin.TryGetValue(origin, out current)
            && (!current.Value.IsCompleted || time.GetTimestamp() < current.Value.Result.ExpiresAt))
        {
            return current.Value;
        }

        if (_byOrigin.Count >= MaxOrigins)
        {
            _byOrigin.Clear();
        }

        var previous = current?.Value is { IsCompletedSuccessfully: true } done ? done.Result.Keys : [];
        var load = new Lazy<Task<Loaded>>(() => ReadAsync(origin, previous));
        var won = current is null ? _byOrigin.TryAdd(origin, load) : _byOrigin.TryUpdate(origin, load, current);

        // Whoever lost the race shares the winner's load: one store read per origin at a time.
        return won || !_byOrigin.TryGetValue(origin, out var winner) ? load.Value : winner.Value;
    }

    private async Task<Loaded> ReadAsync(string origin, CachedKey[] previous)
    {
        try
        {
            var records = await store.FindByOriginAsync(origin).WaitAsync(options.StoreTimeout, time);
            var keys = records.Select(r => CachedKey.For(r, [], 0)).ToArray();
            return new Loaded(keys, time.GetTimestamp() + (long)(MaxAge.TotalSeconds * time.TimestampFrequency));
        }
        catch (Exception ex)
        {
            Log.Unavailable(logger, ex.GetType().Name);
            return new Loaded(previous, time.GetTimestamp() + (long)(RetryAfterFailure.TotalSeconds * time.TimestampFrequency), Failed: true);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 340, Level = LogLevel.Warning, Message = "Cannot read the site keys of an origin for a CORS preflight ({Kind})")]
        public static partial void Unavailable(ILogger logger, string kind);
    }
}

/// <summary>What a preflight is decided on: a "no" only when the store said so.</summary>
internal enum SiteOriginAnswer
{
    Allowed,
    Refused,

    /// <summary>The store could not be read and no earlier answer allows the origin: neither yes nor no (a 503).</summary>
    StoreUnreachable,
}
