using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Tribuo.Gateway.Http;

/// <summary>
/// What a value the serializer could not read should have been, from where it failed (<see cref="JsonException.Path"/>)
/// and the declared type of the field there (the source-generated contract), never from the exception's message: that
/// names a CLR type, and often not the field's own but the containing one ("could not be converted to
/// Tribuo.Gateway.Keys.KeyPatch"), always so under Native AOT.
/// </summary>
internal static class JsonFieldError
{
    /// <summary>One step of a path: a field's name as written, or a list index.</summary>
    public readonly record struct Step(string? Name, int Index)
    {
        public override string ToString() => Name ?? $"[{Index}]";
    }

    /// <summary><c>$.Keys[1].Scopes[0]</c> as Keys, [1], Scopes, [0]; <c>$['a.b']</c> as a.b.</summary>
    public static List<Step> Steps(string? path)
    {
        var steps = new List<Step>();
        var i = path is not null && path.StartsWith('$') ? 1 : 0;
        while (path is not null && i < path.Length)
        {
            if (path[i] == '.')
            {
                var end = path.IndexOfAny(['.', '['], i + 1);
                end = end < 0 ? path.Length : end;
                steps.Add(new(path[(i + 1)..end], 0));
                i = end;
            }
            else if (path.AsSpan(i).StartsWith("['", StringComparison.Ordinal) && path.IndexOf("']", i + 2, StringComparison.Ordinal) is var close and >= 0)
            {
                steps.Add(new(path[(i + 2)..close], 0));
                i = close + 2;
            }
            else if (path[i] == '[' && path.IndexOf(']', i) is var bracket and >= 0
                && int.TryParse(path.AsSpan(i + 1, bracket - i - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            {
                steps.Add(new(null, index));
                i = bracket + 1;
            }
            else
            {
                break; // a path the serializer does not write; what was read so far still names the field
            }
        }

        return steps;
    }

    /// <summary>The field as the sender wrote it: <c>Scopes[0]</c>, <c>disabled</c>.</summary>
    public static string Field(IEnumerable<Step> steps) => string.Concat(steps.Select((s, i) => s.Name is null || i == 0 ? s.ToString() : "." + s));

    /// <summary>
    /// What is wrong with the value at <paramref name="steps"/> (walked down <paramref name="root"/> and the document
    /// read alongside), such as "must be true or false"; null when a name on the way is not a field at all.
    /// </summary>
    public static string? Problem(JsonTypeInfo root, JsonElement document, IEnumerable<Step> steps)
    {
        var info = root;
        JsonElement? value = document;
        foreach (var step in steps)
        {
            if (step.Name is { } name)
            {
                var comparison = info.Options.PropertyNameCaseInsensitive ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
                if (info.Kind != JsonTypeInfoKind.Object || info.Properties.FirstOrDefault(p => p.Name.Equals(name, comparison)) is not { } property)
                {
                    return null;
                }

                info = info.Options.GetTypeInfo(property.PropertyType);
                value = value is { ValueKind: JsonValueKind.Object } parent && parent.TryGetProperty(name, out var field) ? field : null;
            }
            else if (info is { Kind: JsonTypeInfoKind.Enumerable, ElementType: { } element })
            {
                info = info.Options.GetTypeInfo(element);
                value = value is { ValueKind: JsonValueKind.Array } list && step.Index < list.GetArrayLength() ? list[step.Index] : null;
            }
            else
            {
                return "has the wrong type";
            }
        }

        return Expected(info, value);
    }

    private static string Expected(JsonTypeInfo info, JsonElement? value)
    {
        var type = Nullable.GetUnderlyingType(info.Type) ?? info.Type;
        return type == typeof(bool) ? "must be true or false"
            : type == typeof(DateTimeOffset) ? "is not a date-time; expected ISO 8601 like 2027-01-31T00:00:00Z"
            // A string where a string is wanted fails only on its text: System.Text.Json reads it as UTF-16.
            : type == typeof(string) ? value?.ValueKind == JsonValueKind.String ? "is not valid UTF-8 text (or holds a lone surrogate such as \\ud800)" : "must be a string"
            : info.Kind == JsonTypeInfoKind.Enumerable ? info.ElementType == typeof(string) ? "must be a list of strings" : "must be a list"
            : info.Kind == JsonTypeInfoKind.Object ? "must be an object"
            : "has the wrong type";
    }
}
