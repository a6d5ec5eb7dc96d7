using Microsoft.Extensions.Logging.Abstractions;
using Tribuo.Gateway.Keys;
using Xunit;

namespace Tribuo.Gateway.Tests.Keys;

/// <summary>
/// What a preflight is decided on when the store fails, on a clock the test moves: an earlier answer that allows
/// the origin stays good, anything else is "cannot tell", never "no key" (an outside tester got a 403 for an outage).
/// </summary>
public sealed class SiteOriginsTests
{
    private const string Origin = "https://docs.example";

    private sealed class ManualClock : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public override DateTimeOffset GetUtcNow() => DateTimeOffset.FromUnixTimeSeconds(1_790_000_000).AddTicks(_ticks);

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }

    /// <summary>Serves the origin index only; <see cref="Reachable"/> false makes it fail as an unreachable store does.</summary>
    private sealed class OriginStore : IKeyStore
    {
        public bool Reachable { get; set; } = true;

        public Task<IReadOnlyList<KeyRecord>> FindByOriginAsync(string origin, CancellationToken cancellationToken = default) =>
            !Reachable ? Task.FromException<IReadOnlyList<KeyRecord>>(new TimeoutException("store unreachable"))
            : Task.FromResult<IReadOnlyList<KeyRecord>>(origin != Origin ? [] :
                [new KeyRecord { Id = "site", Name = "Site", Sha256 = new string('a', 64), Scopes = ["docs:read"], Origins = [Origin], CreatedAt = DateTimeOffset.UnixEpoch }]);

        public Task<KeyRecord?> FindByHashAsync(string sha256, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<KeyRecord?> GetAsync(string id, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<IReadOnlyList<KeyRecord>> ListAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<bool> CreateAsync(KeyRecord key, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<bool> RevokeAsync(string id, DateTimeOffset at, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<bool> UpdateAsync(KeyRecord key, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<string?> ReplaceHashAsync(string id, string newSha256, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task TouchAsync(IReadOnlyDictionary<string, DateTimeOffset> lastUsedByHash, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }

    [Fact]
    public async Task A_failed_load_keeps_what_an_earlier_one_allowed_and_says_unreachable_for_the_rest()
    {
        var clock = new ManualClock();
        var store = new OriginStore();
        var origins = new SiteOrigins(store, new KeyOptions(), clock, NullLogger<SiteOrigins>.Instance);

        Assert.Equal(SiteOriginAnswer.Allowed, await origins.AllowsAsync(Origin, ["docs:read"]));
        Assert.Equal(SiteOriginAnswer.Refused, await origins.AllowsAsync(Origin, ["billing"]));
        Assert.Equal(SiteOriginAnswer.Refused, await origins.AllowsAsync("https://stranger.example", ["docs:read"]));

        // Past the 30 s an answer is kept, the store fails: the earlier yes stands, the earlier no cannot be trusted.
        store.Reachable = false;
        clock.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(SiteOriginAnswer.Allowed, await origins.AllowsAsync(Origin, ["docs:read"]));
        Assert.Equal(SiteOriginAnswer.StoreUnreachable, await origins.AllowsAsync(Origin, ["billing"]));
        Assert.Equal(SiteOriginAnswer.StoreUnreachable, await origins.AllowsAsync("https://stranger.example", ["docs:read"]));

        // Failed again when retried (2 s later): the earlier yes is still the last thing the store said.
        clock.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(SiteOriginAnswer.Allowed, await origins.AllowsAsync(Origin, ["docs:read"]));
        Assert.Equal(SiteOriginAnswer.StoreUnreachable, await origins.AllowsAsync("https://new.example", ["docs:read"]));

        // Reachable again: answers are the store's once the failure is 2 s old.
        store.Reachable = true;
        clock.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(SiteOriginAnswer.Refused, await origins.AllowsAsync("https://stranger.example", ["docs:read"]));
        Assert.Equal(SiteOriginAnswer.Refused, await origins.AllowsAsync(Origin, ["billing"]));
        Assert.Equal(SiteOriginAnswer.Allowed, await origins.AllowsAsync(Origin, ["docs:read"]));
    }
}
