namespace Tribuo.Gateway.Keys;

/// <summary>
/// Which browser origins hold a usable site key, and with which scopes: what a CORS preflight (which carries
/// no credential) is decided on. Rebuilt from the store when keys change, at most every few seconds.
/// </summary>
internal sealed partial class SiteOrigins(IKeyStore store, TimeProvider time, ILogger<SiteOrigins> logger)
{
    private static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(30);

    private volatile Snapshot? _snapshot;

    private sealed record Snapshot(IReadOnlyDictionary<string, CachedKey[]> KeysByOrigin, long BuiltAt);

    public void Invalidate() => _snapshot = null;

    /// <summary>True when some active key bound to <paramref name="origin"/> may call a route needing <paramref name="scopes"/>.</summary>
    public async ValueTask<bool> AllowsAsync(string origin, IReadOnlyList<string> scopes)
    {
        var snapshot = _snapshot;
        if (snapshot is null || time.GetElapsedTime(snapshot.BuiltAt) > MaxAge)
        {
            snapshot = await BuildAsync() ?? snapshot;
        }

        return snapshot is not null
            && snapshot.KeysByOrigin.TryGetValue(origin, out var keys)
            && keys.Any(k => scopes.Count == 0 ? k.HasAllScopes : k.HoldsAnyOf(scopes));
    }

    private async Task<Snapshot?> BuildAsync()
    {
        try
        {
            var now = time.GetUtcNow();
            var keys = await store.ListAsync();
            var byOrigin = keys
                .Where(k => k.RevokedAt is null && !k.Disabled && (k.Expires is null || k.Expires > now))
                .SelectMany(k => k.Origins.Select(o => (Origin: o, Key: new CachedKey(k, [], 0))))
                .GroupBy(p => p.Origin, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Select(p => p.Key).ToArray(), StringComparer.Ordinal);
            var snapshot = new Snapshot(byOrigin, time.GetTimestamp());
            _snapshot = snapshot;
            return snapshot;
        }
        catch (Exception ex)
        {
            Log.Unavailable(logger, ex.GetType().Name);
            return null;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 340, Level = LogLevel.Warning, Message = "Cannot list keys for CORS preflight decisions ({Kind})")]
        public static partial void Unavailable(ILogger logger, string kind);
    }
}
