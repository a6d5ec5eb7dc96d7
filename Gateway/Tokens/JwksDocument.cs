using System.Text.Json.Serialization;
using Microsoft.IdentityModel.Tokens;

namespace Tribuo.Gateway.Tokens;

/// <summary><c>/.well-known/jwks.json</c>: the public half of each signing key, and nothing else of the key objects.</summary>
internal sealed record JwksDocument(IReadOnlyList<JwksDocument.Key> Keys)
{
    internal sealed record Key(string Kty, string Crv, string X, string Y, string Kid, string Alg, string Use);

    public static JwksDocument From(JsonWebKeySet set) =>
        new(set.Keys.Select(k => new Key(k.Kty, k.Crv, k.X, k.Y, k.Kid, k.Alg, k.Use)).ToArray());
}

/// <summary>Generated at build time (Native AOT); the names are the JWK ones, in snake case.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(JwksDocument))]
internal sealed partial class JwksJson : JsonSerializerContext;
