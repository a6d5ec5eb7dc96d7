using System.Text.Json.Serialization;

namespace Tribuo.Gateway.Keys;

/// <summary>
/// The admin API's and the keys file's serializers, generated at build time (no reflection: the gateway also runs
/// as a Native AOT binary). Naming and strictness come from the options each reader passes.
/// </summary>
[JsonSerializable(typeof(KeysFile))]
[JsonSerializable(typeof(KeySpec))]
[JsonSerializable(typeof(KeyPatch))]
[JsonSerializable(typeof(KeyView))]
[JsonSerializable(typeof(KeyListView))]
internal sealed partial class KeysJsonContext : JsonSerializerContext;
