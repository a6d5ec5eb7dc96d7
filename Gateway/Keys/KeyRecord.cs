namespace Tribuo.Gateway.Keys;

/// <summary>
/// An API key as stored: never the secret, only its SHA-256 (lowercase hex), which is also how the hot path
/// finds it. Revoked keys stay in the store (with <see cref="RevokedAt"/>) so that seeding cannot bring
/// them back.
/// </summary>
internal sealed record KeyRecord
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public required string Sha256 { get; init; }
    public IReadOnlyList<string> Scopes { get; init; } = [];
    public DateTimeOffset? Expires { get; init; }
    public bool Disabled { get; init; }
    public DateTimeOffset? RevokedAt { get; init; }
    /// <summary>Browser origins a site key may be used from (CORS and <c>Origin</c> check).</summary>
    public IReadOnlyList<string> Origins { get; init; } = [];
    /// <summary>Set when the key is a user's personal API token.</summary>
    public string? UserId { get; init; }
    /// <summary>The key's own limits across all routes, on top of each route's <c>RateLimit</c> (DESIGN §4).</summary>
    public IReadOnlyList<RateLimits.RateLimit> RateLimits { get; init; } = [];
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? LastUsedAt { get; init; }

    /// <summary>Revoked, disabled, expired or active at <paramref name="now"/>: what a request with this key meets first.</summary>
    public KeyStatus StatusAt(DateTimeOffset now) => StatusOf(RevokedAt, Disabled, Expires, now);

    public static KeyStatus StatusOf(DateTimeOffset? revokedAt, bool disabled, DateTimeOffset? expires, DateTimeOffset now) =>
        revokedAt is not null ? KeyStatus.Revoked
        : disabled ? KeyStatus.Disabled
        : expires is { } at && at <= now ? KeyStatus.Expired
        : KeyStatus.Active;
}

/// <summary>Where keys live: Redis when <c>ConnectionStrings:Redis</c> is set, the embedded store otherwise.</summary>
internal interface IKeyStore
{
    Task<KeyRecord?> FindByHashAsync(string sha256, CancellationToken cancellationToken = default);

    Task<KeyRecord?> GetAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>
    /// The unrevoked keys bound to this browser origin, through an index kept with the keys: what a CORS
    /// preflight is decided on, at a cost that does not grow with the number of keys.
    /// </summary>
    Task<IReadOnlyList<KeyRecord>> FindByOriginAsync(string origin, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<KeyRecord>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>Adds a key; false when a key with this <c>Id</c> or this hash already exists (revoked ones included).</summary>
    Task<bool> CreateAsync(KeyRecord key, CancellationToken cancellationToken = default);

    /// <summary>Marks a key revoked; false when there is no such key.</summary>
    Task<bool> RevokeAsync(string id, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>Overwrites name, scopes, expiry, disabled, origins, rate limits of the key with this <c>Id</c> (not its hash).</summary>
    Task<bool> UpdateAsync(KeyRecord key, CancellationToken cancellationToken = default);

    /// <summary>Gives a key a new secret; the old hash stops existing. Returns the old hash, or null when there is no such key.</summary>
    Task<string?> ReplaceHashAsync(string id, string newSha256, CancellationToken cancellationToken = default);

    /// <summary>Records when keys were last used (batched by the caller; hash → time).</summary>
    Task TouchAsync(IReadOnlyDictionary<string, DateTimeOffset> lastUsedByHash, CancellationToken cancellationToken = default);
}
