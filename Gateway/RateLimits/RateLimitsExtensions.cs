using Tribuo.Gateway.Storage;
using Tribuo.Gateway.Storage.Redis;

namespace Tribuo.Gateway.RateLimits;

internal static class RateLimitsExtensions
{
    /// <summary>Counting shared through Redis when <c>ConnectionStrings:Redis</c> is set, in memory otherwise.</summary>
    public static IServiceCollection AddGatewayRateLimits(this IServiceCollection services)
    {
        services.AddSingleton(sp => new LocalRateCounters(sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new RateLimiter(
            sp.GetRequiredService<StoreSelection>().UsesRedis ? new RedisRateCounters(sp.GetRequiredService<RedisConnection>()) : null,
            new SharedCounterCircuit(sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<SharedCounterCircuit>>()),
            new SlotLeases(sp.GetRequiredService<TimeProvider>()),
            sp.GetRequiredService<LocalRateCounters>(),
            sp.GetRequiredService<TimeProvider>()));
        return services;
    }
}
