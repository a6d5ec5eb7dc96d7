namespace Tribuo.Gateway.Keys;

/// <summary>
/// Everything on this instance that must forget a key when it changes: the cache, the preflight origins and
/// the requests still open with it. Called by the change feed for every instance's changes, and
/// synchronously by <see cref="KeyService"/> for its own, so that the instance that revoked a key refuses it
/// before the admin call returns (DESIGN §4).
/// </summary>
internal sealed class KeyChangeFanout(KeyCache cache, SiteOrigins origins, OpenRequests open)
{
    public void Changed(string sha256)
    {
        cache.Evict(sha256);
        origins.Invalidate();
        open.Recheck();
    }

    /// <summary>Messages may have been missed (a reconnect): forget everything.</summary>
    public void Reset()
    {
        cache.Clear();
        origins.Invalidate();
        open.Recheck();
    }
}
