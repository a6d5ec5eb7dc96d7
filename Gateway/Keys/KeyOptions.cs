namespace Tribuo.Gateway.Keys;

/// <summary><c>Gateway:Keys</c>: how long what the cache knows may be trusted.</summary>
internal sealed class KeyOptions
{
    /// <summary>A cached key older than this is re-read from the store on its next use.</summary>
    public TimeSpan RevalidateAfter { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// While the change feed is live (<see cref="Storage.IChangeFeed.IsLive"/>), every change made through the gateway
    /// reaches this instance within milliseconds, so a cached key is re-read only after this (a change written
    /// straight into the store, bypassing the gateway, is seen within it). Not above <see cref="RevalidateAfter"/>: off.
    /// </summary>
    public TimeSpan RevalidateWhileSubscribed { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>While the store is unreachable, keys validated before the outage keep working this long from its start; others get 503.</summary>
    public TimeSpan StaleWhileUnreachable { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long "no such key" is remembered, so a bad client does not hit the store on every request.</summary>
    public TimeSpan UnknownKeyTtl { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Most keys held in memory; the least recently validated half goes when it fills up.</summary>
    public int CacheSize { get; set; } = 250_000;

    /// <summary>A store lookup slower than this counts as unreachable.</summary>
    public TimeSpan StoreTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often last-use times are written to the store (batched, never per request).</summary>
    public TimeSpan LastUsedFlushInterval { get; set; } = TimeSpan.FromSeconds(30);

    public const string Section = "Gateway:Keys";

    /// <summary><c>Gateway:Keys</c>, every value held to its range (an unknown key, a negative duration or size is an error).</summary>
    public static KeyOptions Read(IConfiguration configuration)
    {
        var options = Hosting.SettingValues.Bind(configuration, Section, s => s.Get<KeyOptions>());
        var day = TimeSpan.FromDays(1);
        Hosting.SettingValues.Range($"{Section}:RevalidateAfter", options.RevalidateAfter, TimeSpan.Zero, day);
        Hosting.SettingValues.Range($"{Section}:RevalidateWhileSubscribed", options.RevalidateWhileSubscribed, TimeSpan.Zero, day);
        Hosting.SettingValues.Range($"{Section}:StaleWhileUnreachable", options.StaleWhileUnreachable, TimeSpan.Zero, day);
        Hosting.SettingValues.Range($"{Section}:UnknownKeyTtl", options.UnknownKeyTtl, TimeSpan.Zero, TimeSpan.FromHours(1));
        Hosting.SettingValues.Range($"{Section}:CacheSize", options.CacheSize, 1, 100_000_000);
        Hosting.SettingValues.Range($"{Section}:StoreTimeout", options.StoreTimeout, TimeSpan.FromMilliseconds(1), TimeSpan.FromMinutes(1));
        Hosting.SettingValues.Range($"{Section}:LastUsedFlushInterval", options.LastUsedFlushInterval, TimeSpan.FromSeconds(1), day);
        return options;
    }
}
