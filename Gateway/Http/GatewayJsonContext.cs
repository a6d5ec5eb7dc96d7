using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tribuo.Gateway.Http;

/// <summary>Source-generated serializers for everything the gateway writes itself: no reflection per response.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Operations.ReadinessReport))]
[JsonSerializable(typeof(Microsoft.AspNetCore.Mvc.ProblemDetails))]
internal sealed partial class GatewayJsonContext : JsonSerializerContext
{
    /// <summary>
    /// Relaxed escaping: these bodies are JSON documents, never inlined into HTML, and "can't" reads better
    /// than "can\u0027t" to the person debugging a 403.
    /// </summary>
    public static GatewayJsonContext Relaxed => RelaxedHolder.Instance;

    // A nested holder: the generated Default and this instance must not depend on each other's static init order.
    private static class RelaxedHolder
    {
        public static readonly GatewayJsonContext Instance = new(new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        });
    }
}
