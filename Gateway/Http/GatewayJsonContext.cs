using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tribuo.Gateway.Http;

/// <summary>Source-generated serializers for everything the gateway writes itself: no reflection per response.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ProblemBody))]
[JsonSerializable(typeof(Operations.ReadinessReport))]
internal sealed partial class GatewayJsonContext : JsonSerializerContext
{
    /// <summary>
    /// Relaxed escaping: these bodies are JSON documents, never inlined into HTML, and "can't" reads better
    /// than "can\u0027t" to the person debugging a 403.
    /// </summary>
    public static GatewayJsonContext Relaxed { get; } = new(new JsonSerializerOptions(Default.Options)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
