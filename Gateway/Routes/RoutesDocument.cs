using System.Text.Json;
using System.Text.Json.Serialization;
using Yarp.ReverseProxy.Configuration;

namespace Tribuo.Gateway.Routes;

/// <summary>
/// <c>routes.json</c> as written by operators: YARP's <c>Routes</c>/<c>Clusters</c> schema keyed by id.
/// Read with System.Text.Json straight into YARP's own config records, strictly: an unknown field is an
/// error (a typo such as <c>Metdata</c> would otherwise silently change who may call a route).
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
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>Parses the file's text; on failure <paramref name="error"/> names the route or cluster, the field and the line.</summary>
    public static (IReadOnlyList<RouteConfig> Routes, IReadOnlyList<ClusterConfig> Clusters)? Parse(string json, string fileName, out ConfigError? error)
    {
        error = null;
        RoutesDocument? document;
        try
        {
            document = JsonSerializer.Deserialize<RoutesDocument>(json, Options);
        }
        catch (JsonException ex)
        {
            error = Describe(ex, fileName);
            return null;
        }

        if (document is null)
        {
            error = new ConfigError(fileName, "(document)", "is empty; expected an object with Routes and Clusters.");
            return null;
        }

        // The dictionary key is the id, as in YARP's configuration section.
        var routes = (document.Routes ?? []).Select(pair => pair.Value with { RouteId = pair.Key }).ToArray();
        var clusters = (document.Clusters ?? []).Select(pair => pair.Value with { ClusterId = pair.Key }).ToArray();
        return (routes, clusters);
    }

    private static ConfigError Describe(JsonException ex, string fileName)
    {
        // ex.Path looks like "$.Routes['docs-api'].Match.Pathh" or "$.Routes.docs.Match".
        var path = ex.Path ?? "$";
        var segments = PathSegments(path);
        var where = ex.LineNumber is { } line ? $" (line {line + 1})" : "";
        var subject = segments.Count >= 2 && segments[0].Equals("Routes", StringComparison.OrdinalIgnoreCase) ? $"route '{segments[1]}'"
            : segments.Count >= 2 && segments[0].Equals("Clusters", StringComparison.OrdinalIgnoreCase) ? $"cluster '{segments[1]}'"
            : fileName;
        var field = segments.Count > 2 ? string.Join('.', segments.Skip(2)) : segments.Count > 0 ? string.Join('.', segments) : "(document)";

        // System.Text.Json names the CLR type it failed on; operators need to know what to write instead.
        var message = ex.Message.Contains("could not be mapped", StringComparison.Ordinal)
            ? $"'{ExtractQuoted(ex.Message) ?? "?"}' is not a known field here{where}."
            : ex.Message.Contains("could not be converted", StringComparison.Ordinal)
                ? $"has a value of the wrong type{where}; Metadata values are strings (\"true\", not true), Order is a number, times are \"hh:mm:ss\"."
                : $"is not valid JSON{where}: {FirstSentence(ex.Message)}";
        return new ConfigError(subject, field, message);
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
