using System.Text.Json.Serialization;
using Yarp.ReverseProxy.Configuration;

namespace Tribuo.Gateway.Routes;

/// <summary>
/// The routes file's serializers, generated at build time: YARP's configuration records are read without reflection,
/// so the gateway also runs as a Native AOT binary (README, "Benchmark"). Enums are read by name, as YARP's own
/// configuration reader does.
/// </summary>
[JsonSourceGenerationOptions(UseStringEnumConverter = true)]
[JsonSerializable(typeof(RoutesDocument))]
[JsonSerializable(typeof(RouteConfig))]
[JsonSerializable(typeof(ClusterConfig))]
internal sealed partial class RoutesJsonContext : JsonSerializerContext;
