using Microsoft.Extensions.DependencyInjection;
using Tribuo.Gateway.Keys;
using Tribuo.Gateway.Tests.Infrastructure;

namespace Tribuo.Gateway.Tests.Keys;

/// <summary>
/// An echo upstream and gateways on one real Redis, with routes of every auth mode and keys in every state.
/// </summary>
internal sealed class KeysTestBed : IAsyncDisposable
{
    public const string ReaderSecret = "tgw_test-reader-secret-0001";
    public const string StarSecret = "tgw_test-star-secret-000002";
    public const string OtherSecret = "tgw_test-other-secret-00003";
    public const string ExpiredSecret = "tgw_test-expired-secret-004";
    public const string DisabledSecret = "tgw_test-disabled-secret-05";
    public const string RevokedSecret = "tgw_test-revoked-secret-006";
    public const string SiteSecret = "tgw_test-site-secret-000007";
    public const string SiteOrigin = "https://docs.tribuo.cloud";

    public static readonly string[] AllSecrets = [ReaderSecret, StarSecret, OtherSecret, ExpiredSecret, DisabledSecret, RevokedSecret, SiteSecret];

    private readonly List<GatewayApp> _gateways = [];

    private KeysTestBed(EchoUpstream upstream, string redis)
    {
        Upstream = upstream;
        Redis = redis;
    }

    public EchoUpstream Upstream { get; }
    public string Redis { get; }

    public string Routes => RoutesJson.With(Upstream.Address,
        RoutesJson.Route("pub", "/pub/{**rest}", "public"),
        RoutesJson.Route("docs", "/docs/{**rest}", "key", "\"Scopes\": \"docs:read\""),
        RoutesJson.Route("keyonly", "/keyonly/{**rest}", "key"),
        RoutesJson.Route("any", "/any/{**rest}", "any", "\"Scopes\": \"api\""),
        RoutesJson.Route("user", "/user/{**rest}", "user"),
        RoutesJson.Route("fwd", "/fwd/{**rest}", "key", "\"Scopes\": \"api\", \"ForwardAuthorization\": \"true\""));

    public static async Task<KeysTestBed> StartAsync(RedisServer redis)
    {
        await redis.FlushAllAsync();
        return new KeysTestBed(await EchoUpstream.StartAsync(), redis.ConnectionString);
    }

    public GatewayApp StartGateway(IDictionary<string, string?>? settings = null)
    {
        var all = new Dictionary<string, string?> { ["ConnectionStrings:Redis"] = Redis };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        var gateway = GatewayApp.Start(Routes, all);
        _gateways.Add(gateway);
        return gateway;
    }

    /// <summary>Writes keys in every state straight into the store (expired and disabled ones cannot be created through the API).</summary>
    public async Task SeedKeysAsync(GatewayApp gateway)
    {
        var store = gateway.Services.GetRequiredService<IKeyStore>();
        var now = DateTimeOffset.UtcNow;
        KeyRecord Key(string id, string secret, params string[] scopes) =>
            new() { Id = id, Name = id, Sha256 = KeySecrets.HashHex(secret), Scopes = scopes, CreatedAt = now };

        await store.CreateAsync(Key("reader", ReaderSecret, "docs:read", "api"));
        await store.CreateAsync(Key("star", StarSecret, "*"));
        await store.CreateAsync(Key("other", OtherSecret, "billing"));
        await store.CreateAsync(Key("expired", ExpiredSecret, "docs:read", "api", "*") with { Expires = now.AddMinutes(-1) });
        await store.CreateAsync(Key("disabled", DisabledSecret, "docs:read", "api", "*") with { Disabled = true });
        await store.CreateAsync(Key("revoked", RevokedSecret, "docs:read", "api", "*") with { RevokedAt = now.AddMinutes(-1) });
        await store.CreateAsync(Key("site", SiteSecret, "docs:read") with { Origins = [SiteOrigin] });
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var gateway in _gateways)
        {
            await gateway.DisposeAsync();
        }

        await Upstream.DisposeAsync();
    }
}
