using System.Text.Json;
using System.Text.Json.Serialization;
using Tribuo.Gateway.Http;
using Yarp.ReverseProxy.Configuration;

namespace Tribuo.Gateway.Routes;

/// <summary>
/// <c>routes.json</c> as written by operators: YARP's <c>Routes</c>/<c>Clusters</c> schema keyed by id.
/// Read with System.Text.Json straight into YARP's own config records, strictly: an unknown field is an
/// error (a typo such as <c>Metdata</c> would otherwise silently change who may call a route), and so is a
/// name given twice; <see cref="RoutesShape"/> finds them all in one pass.
/// </summary>
internal sealed class RoutesDocument
{
    public Dictionary<string, RouteConfig>? Routes { get; init; }
    public Dictionary<string, ClusterConfig>? Clusters { get; init; }

    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNameCaseInsensitive = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        TypeInfoResolver = RoutesJsonContext.Default,
    };

    private static readonly JsonSerializerOptions Lenient = new(Options) { UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip };

    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>
    /// Parses the file's text and adds to <paramref name="errors"/> every problem of its shape (unknown fields,
    /// names given twice, values of the wrong type), each naming the route or cluster and the field. Null
    /// when the text is not JSON at all; otherwise the routes and clusters that could be read.
    /// </summary>
    public static (IReadOnlyList<RouteConfig> Routes, IReadOnlyList<ClusterConfig> Clusters)? Parse(string json, string fileName, List<ConfigError> errors)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, DocumentOptions);
        }
        catch (JsonException)
        {
            errors.Add(SyntaxError(json, fileName));
            return null;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                errors.Add(new ConfigError(fileName, "(document)", "is not an object; expected { \"Routes\": {...}, \"Clusters\": {...} }."));
                return null;
            }

            RoutesShape.Check(root, typeof(RoutesDocument), fileName, errors);

            // The dictionary key is the id, as in YARP's configuration section. Each entry is read on its own, so a
            // wrong type in one route does not hide the errors of the others.
            var routes = new List<RouteConfig>();
            foreach (var (id, route) in Entries<RouteConfig>(root, "Routes", fileName, errors))
            {
                CheckInnerId("route", id, route.RouteId, "RouteId", errors);
                routes.Add(route with { RouteId = id });
            }

            var clusters = new List<ClusterConfig>();
            foreach (var (id, cluster) in Entries<ClusterConfig>(root, "Clusters", fileName, errors))
            {
                CheckInnerId("cluster", id, cluster.ClusterId, "ClusterId", errors);
                clusters.Add(cluster with { ClusterId = id });
            }

            return (routes, clusters);
        }
    }

    /// <summary>
    /// An entry's id is its key; an id written inside it as well must say the same, or the operator believes the
    /// route (or cluster) is called something it is not.
    /// </summary>
    private static void CheckInnerId(string kind, string key, string? inner, string field, List<ConfigError> errors)
    {
        if (!string.IsNullOrEmpty(inner) && !inner.Equals(key, StringComparison.Ordinal))
        {
            errors.Add(new ConfigError($"{kind} '{key}'", field, $"'{inner}' differs from the {kind}'s id '{key}' (its key in the file); remove it."));
        }
    }

    private static IEnumerable<KeyValuePair<string, T>> Entries<T>(JsonElement root, string section, string fileName, List<ConfigError> errors) where T : class
    {
        var entries = new List<KeyValuePair<string, T>>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var property in root.EnumerateObject())
        {
            if (!property.Name.Equals(section, StringComparison.OrdinalIgnoreCase) || property.Value.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            foreach (var entry in property.Value.EnumerateObject())
            {
                if (!seen.Add(entry.Name))
                {
                    continue;
                }

                if (ReadEntry<T>(entry.Value, fileName, $"$.{section}['{entry.Name}']", errors) is { } value)
                {
                    entries.Add(KeyValuePair.Create(entry.Name, value));
                }
            }
        }

        return entries;
    }

    /// <summary>
    /// One route or cluster. A value of the wrong type stops the serializer, which would drop the whole entry and
    /// hide its other errors (an unknown cluster, a reserved path, a misspelled metadata name) until the next run;
    /// so the field is reported, taken out, and the rest read again, and the entry's other checks still run.
    /// </summary>
    private static T? ReadEntry<T>(JsonElement element, string fileName, string basePath, List<ConfigError> errors) where T : class
    {
        try
        {
            // The common case, a well-typed entry, read straight from the document (a 10,000-route reload reads them all).
            return element.Deserialize(Lenient.TypeInfo<T>());
        }
        catch (JsonException)
        {
            // Read again below, field by field as the errors come, to report each of them.
        }

        var node = System.Text.Json.Nodes.JsonNode.Parse(element.GetRawText(), documentOptions: DocumentOptions);
        for (var attempt = 0; attempt < 20 && node is not null; attempt++)
        {
            try
            {
                return node.Deserialize(Lenient.TypeInfo<T>());
            }
            catch (JsonException ex)
            {
                errors.Add(Describe(ex, fileName, basePath));
                if (!RemoveAt(node, ex.Path))
                {
                    return null;
                }
            }
        }

        return null;
    }

    /// <summary>Removes the value the serializer's path (<c>$.Match.Hosts[0]</c>, <c>$['Order']</c>) points at; false when it cannot.</summary>
    private static bool RemoveAt(System.Text.Json.Nodes.JsonNode root, string? path)
    {
        var segments = PathSegments(path ?? "");
        if (segments.Count == 0)
        {
            return false;
        }

        var parent = root;
        foreach (var segment in segments.SkipLast(1))
        {
            parent = parent switch
            {
                System.Text.Json.Nodes.JsonObject o => o.FirstOrDefault(p => p.Key.Equals(segment, StringComparison.OrdinalIgnoreCase)).Value,
                System.Text.Json.Nodes.JsonArray a when int.TryParse(segment, out var i) && i < a.Count => a[i],
                _ => null,
            };
            if (parent is null)
            {
                return false;
            }
        }

        var last = segments[^1];
        switch (parent)
        {
            case System.Text.Json.Nodes.JsonObject o when o.FirstOrDefault(p => p.Key.Equals(last, StringComparison.OrdinalIgnoreCase)).Key is { } name:
                return o.Remove(name);
            case System.Text.Json.Nodes.JsonArray a when int.TryParse(last, out var index) && index < a.Count:
                a.RemoveAt(index);
                return true;
            default:
                return false;
        }
    }

    /// <summary>The serializer's error for text that is not JSON: it names the path and line where reading stopped.</summary>
    private static ConfigError SyntaxError(string json, string fileName)
    {
        try
        {
            JsonSerializer.Deserialize(json, Options.TypeInfo<RoutesDocument>());
        }
        catch (JsonException ex)
        {
            return Describe(ex, fileName, "");
        }

        return new ConfigError(fileName, "(document)", "is not valid JSON.");
    }

    private static ConfigError Describe(JsonException ex, string fileName, string basePath)
    {
        // ex.Path looks like "$.Routes['docs-api'].Match.Pathh" or "$.Routes.docs.Match".
        var path = basePath.Length == 0 ? ex.Path ?? "$" : basePath + (ex.Path ?? "$")[1..];
        var segments = PathSegments(path);
        // Lines are only meaningful for the whole file; an entry read on its own counts from its own start.
        var where = basePath.Length == 0 && ex.LineNumber is { } line ? $" (line {line + 1})" : "";
        var subject = segments.Count >= 2 && segments[0].Equals("Routes", StringComparison.OrdinalIgnoreCase) ? $"route '{segments[1]}'"
            : segments.Count >= 2 && segments[0].Equals("Clusters", StringComparison.OrdinalIgnoreCase) ? $"cluster '{segments[1]}'"
            : fileName;
        var field = segments.Count > 2 ? string.Join('.', segments.Skip(2)) : segments.Count > 0 ? string.Join('.', segments) : "(document)";

        // System.Text.Json names the CLR type it failed on; operators need to know what to write instead.
        var message = ex.Message.Contains("could not be mapped", StringComparison.Ordinal)
            ? $"'{ExtractQuoted(ex.Message) ?? "?"}' is not a known field here{where}."
            : ex.Message.Contains("could not be converted", StringComparison.Ordinal)
                ? $"has a value of the wrong type{where}; {WhatItTakes(field)}"
                : $"is not valid JSON{where}: {FirstSentence(ex.Message)}";
        return new ConfigError(subject, field, message);
    }

    /// <summary>What a field of the wrong type takes: one hint for the field, not a list of every field's (an outside probe:
    /// a misspelt header match mode was told that Metadata values are strings).</summary>
    private static string WhatItTakes(string field)
    {
        var last = field[(field.LastIndexOf('.') + 1)..];
        return field.StartsWith("Metadata", StringComparison.OrdinalIgnoreCase) ? "Metadata values are strings (\"true\", not true)."
            : last.Equals("Order", StringComparison.OrdinalIgnoreCase) ? "Order is a whole number."
            : last.Equals("Mode", StringComparison.OrdinalIgnoreCase) ? "a match mode is one of ExactHeader, HeaderPrefix, Contains, NotContains, Exists, NotExists (headers) or Exact, Prefix, Contains, NotContains, Exists (query parameters)."
            : last.EndsWith("Timeout", StringComparison.OrdinalIgnoreCase) || last.EndsWith("Interval", StringComparison.OrdinalIgnoreCase) ? "times are \"hh:mm:ss\"."
            : "see YARP's configuration schema for what it takes (a string, a number, true/false, a list or one of its names).";
    }

    private static List<string> PathSegments(string jsonPath)
    {
        var segments = new List<string>();
        var i = jsonPath.StartsWith('$') ? 1 : 0;
        while (i < jsonPath.Length)
        {
            if (jsonPath[i] == '.')
            {
                var end = jsonPath.IndexOfAny(['.', '['], i + 1);
                segments.Add(end < 0 ? jsonPath[(i + 1)..] : jsonPath[(i + 1)..end]);
                i = end < 0 ? jsonPath.Length : end;
            }
            else if (jsonPath[i] == '[')
            {
                var end = jsonPath.IndexOf(']', i);
                if (end < 0)
                {
                    break;
                }

                segments.Add(jsonPath[(i + 1)..end].Trim('\''));
                i = end + 1;
            }
            else
            {
                i++;
            }
        }

        return segments;
    }

    private static string? ExtractQuoted(string message)
    {
        var start = message.IndexOf('\'');
        var end = start < 0 ? -1 : message.IndexOf('\'', start + 1);
        return end > start ? message[(start + 1)..end] : null;
    }

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(". ", StringComparison.Ordinal);
        return cut < 0 ? message : message[..(cut + 1)];
    }
}
