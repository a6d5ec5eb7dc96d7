using Microsoft.AspNetCore.Http.Json;

namespace Tribuo.Gateway.Http;

internal static class ResponseJson
{
    /// <summary>
    /// The endpoints' bodies, serialized only by build-time generated code: the reflection resolver is taken out of
    /// the chain, so a result type missing here fails in every build and every test (a 500 naming the type), not
    /// only in the Native AOT binary, which has no reflection to fall back on (README, "Native AOT").
    /// </summary>
    public static IServiceCollection AddGatewayJson(this IServiceCollection services) =>
        services.Configure<JsonOptions>(options =>
        {
            var resolvers = options.SerializerOptions.TypeInfoResolverChain;
            resolvers.Clear();
            resolvers.Add(Keys.KeysJsonContext.Default);
            resolvers.Add(Routes.ConfigJsonContext.Default);
            resolvers.Add(GatewayJsonContext.Default);
        });
}
