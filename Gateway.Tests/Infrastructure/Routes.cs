namespace Tribuo.Gateway.Tests.Infrastructure;

/// <summary>Builds routes.json documents for tests.</summary>
public static class RoutesJson
{
    /// <summary>One cluster "up" at <paramref name="upstream"/> and the given routes (each a JSON object body keyed by id).</summary>
    public static string With(string upstream, params (string Id, string Json)[] routes) =>
        $$"""
        {
          "Routes": { {{string.Join(",", routes.Select(r => $"\"{r.Id}\": {r.Json}"))}} },
          "Clusters": { "up": { "Destinations": { "a": { "Address": "{{upstream}}" } } } }
        }
        """;

    public static (string, string) Route(string id, string path, string auth, string? extraMetadata = null) =>
        (id, $$"""{ "ClusterId": "up", "Match": { "Path": "{{path}}" }, "Metadata": { "Auth": "{{auth}}"{{(extraMetadata is null ? "" : ", " + extraMetadata)}} } }""");
}
