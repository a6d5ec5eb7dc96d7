using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Tribuo.Gateway.Keys;
using Tribuo.Gateway.RateLimits;
using Tribuo.Gateway.Tests.Infrastructure;

namespace Tribuo.Gateway.Tests.RateLimits;

/// <summary>An echo upstream, gateways on one Redis (or none), routes with and without limits, and helpers to send through them.</summary>
internal sealed class RateLimitBed : IAsyncDisposable
{
    private readonly List<GatewayApp> _gateways = [];

    private RateLimitBed(EchoUpstream upstream, string? redis)
    {
        Upstream = upstream;
        Redis = redis;
    }

    public EchoUpstream Upstream { get; }
    public string? Redis { get; }

    /// <summary><c>keyed</c>: only the keys' own limits; <c>routed</c>: 3 per 10 s per caller; <c>pub</c>: public, 3 per 30 s per client address.</summary>
    public string Routes => RoutesJson.With(Upstream.Address,
        RoutesJson.Route("keyed", "/keyed/{**rest}", "key", "\"Scopes\": \"api\""),
        RoutesJson.Route("routed", "/routed/{**rest}", "key", "\"Scopes\": \"api\", \"RateLimit\": \"3/10s\""),
        RoutesJson.Route("pub", "/pub/{**rest}", "public", "\"RateLimit\": \"3/30s\""));

    public static async Task<RateLimitBed> StartAsync(RedisServer? redis)
    {
        if (redis is not null)
        {
            await redis.FlushAllAsync();
        }

        return new RateLimitBed(await EchoUpstream.StartAsync(), redis?.ConnectionString);
    }

    public GatewayApp StartGateway(IDictionary<string, string?>? settings = null)
    {
        var all = new Dictionary<string, string?>();
        if (Redis is not null)
        {
            all["ConnectionStrings:Redis"] = Redis;
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        var gateway = GatewayApp.Start(Routes, all);
        _gateways.Add(gateway);
        return gateway;
    }

    /// <summary>Writes a key with scope <c>api</c> (and <c>*</c> when <paramref name="admin"/>) and these limits; returns its secret.</summary>
    public static async Task<string> AddKeyAsync(GatewayApp gateway, string id, bool admin = false, params string[] limits)
    {
        var secret = $"tgw_test-rl-{id}-{Guid.NewGuid():n}";
        await gateway.Services.GetRequiredService<IKeyStore>().CreateAsync(new KeyRecord
        {
            Id = id,
            Name = id,
            Sha256 = KeySecrets.HashHex(secret),
            Scopes = admin ? ["api", "*"] : ["api"],
            RateLimits = limits.Select(RateLimit.Parse).ToArray(),
            CreatedAt = DateTimeOffset.UtcNow,
        });
        return secret;
    }

    public static async Task<HttpResponseMessage> SendAsync(GatewayApp gateway, string path, string? secret = null, string? forwardedFor = null)
    {
        using var client = gateway.NewClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (secret is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", $"KEY {secret}");
        }

        if (forwardedFor is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Forwarded-For", forwardedFor);
        }

        var response = await client.SendAsync(request, HttpCompletionOption.ResponseContentRead);
        return response;
    }

    public static async Task<HttpStatusCode> StatusAsync(GatewayApp gateway, string path, string? secret = null, string? forwardedFor = null)
    {
        using var response = await SendAsync(gateway, path, secret, forwardedFor);
        return response.StatusCode;
    }

    public static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : "";

    public async ValueTask DisposeAsync()
    {
        foreach (var gateway in _gateways)
        {
            await gateway.DisposeAsync();
        }

        await Upstream.DisposeAsync();
    }
}
