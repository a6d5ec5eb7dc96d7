using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Tribuo.Gateway.Http;

internal static class JsonOptionsExtensions
{
    /// <summary>
    /// The serializer for <typeparamref name="T"/> from the options' own (source-generated) resolver: the same
    /// settings as passing the options, without the reflection fallback a Native AOT build does not have.
    /// </summary>
    public static JsonTypeInfo<T> TypeInfo<T>(this JsonSerializerOptions options) => (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));
}
