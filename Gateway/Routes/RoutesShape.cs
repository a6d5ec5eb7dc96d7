using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Text.Json;

namespace Tribuo.Gateway.Routes;

/// <summary>
/// Walks <c>routes.json</c> as raw JSON against the shape of YARP's config records, so that every unknown
/// field (<c>Pth</c>, <c>Adress</c>, <c>Metdata</c>), every name given twice (a route id, <c>Auth</c> and
/// <c>auth</c>) and every object-or-list in the wrong place is reported in one run. The serializer alone
/// stops at the first, and silently keeps the last of two equal names.
/// </summary>
internal static class RoutesShape
{
    public static void Check(JsonElement root, Type type, string fileName, List<ConfigError> errors) =>
        Walk(root, type, [], fileName, errors);

    /// <summary>
    /// A <c>null</c> field is taken as absent, as YARP's own configuration reads it; a <c>null</c> entry of a
    /// dictionary or a list (<c>"Auth": null</c>, <c>"Hosts": [null]</c>, <c>"d": null</c> as a destination) has no
    /// absent meaning, and is an error rather than a guess.
    /// </summary>
    private static void WalkEntry(JsonElement element, Type type, List<string> path, string fileName, List<ConfigError> errors)
    {
        if (element.ValueKind == JsonValueKind.Null)
        {
            errors.Add(Error(path, fileName, "is null; give it a value or remove it."));
            return;
        }

        Walk(element, type, path, fileName, errors);
    }

    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = "Walks YARP's configuration records, whose assembly the project roots for trimming (Gateway.csproj)")]
    private static void Walk(JsonElement element, Type type, List<string> path, string fileName, List<ConfigError> errors)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (element.ValueKind == JsonValueKind.Null || IsScalar(type))
        {
            return;
        }

        if (DictionaryValueType(type) is { } valueType)
        {
            if (!Expect(element, JsonValueKind.Object, path, fileName, errors))
            {
                return;
            }

            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var property in element.EnumerateObject())
            {
                var childPath = Append(path, property.Name);
                if (!seen.Add(property.Name))
                {
                    errors.Add(Error(childPath, fileName, $"'{property.Name}' is given twice (names are compared ignoring case); keep one."));
                }

                WalkEntry(property.Value, valueType, childPath, fileName, errors);
            }

            return;
        }

        if (ElementType(type) is { } itemType)
        {
            if (!Expect(element, JsonValueKind.Array, path, fileName, errors))
            {
                return;
            }

            var index = 0;
            foreach (var item in element.EnumerateArray())
            {
                WalkEntry(item, itemType, Append(path, $"[{index++}]"), fileName, errors);
            }

            return;
        }

        if (!Expect(element, JsonValueKind.Object, path, fileName, errors))
        {
            return;
        }

        var fields = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var property in element.EnumerateObject())
        {
            var childPath = Append(path, property.Name);
            if (!fields.Add(property.Name))
            {
                errors.Add(Error(childPath, fileName, $"'{property.Name}' is given twice; keep one."));
                continue;
            }

            var member = type.GetProperty(property.Name, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (member is null || !member.CanWrite)
            {
                errors.Add(Error(childPath, fileName, $"'{property.Name}' is not a known field here."));
                continue;
            }

            Walk(property.Value, member.PropertyType, childPath, fileName, errors);
        }
    }

    private static bool Expect(JsonElement element, JsonValueKind kind, List<string> path, string fileName, List<ConfigError> errors)
    {
        if (element.ValueKind == kind)
        {
            return true;
        }

        var expected = kind == JsonValueKind.Array ? "a list [...]" : "an object {...}";
        errors.Add(Error(path, fileName, $"has a value of the wrong type; expected {expected}."));
        return false;
    }

    /// <summary>Names the route or cluster the path is in, and the field inside it.</summary>
    private static ConfigError Error(List<string> path, string fileName, string message)
    {
        var inEntry = path.Count >= 2 && (path[0].Equals("Routes", StringComparison.OrdinalIgnoreCase) || path[0].Equals("Clusters", StringComparison.OrdinalIgnoreCase));
        if (!inEntry)
        {
            return new ConfigError(fileName, path.Count == 0 ? "(document)" : string.Join('.', path), message);
        }

        var subject = path[0].Equals("Routes", StringComparison.OrdinalIgnoreCase) ? $"route '{path[1]}'" : $"cluster '{path[1]}'";
        var field = path.Count > 2 ? string.Join('.', path.Skip(2)).Replace(".[", "[", StringComparison.Ordinal) : "(id)";
        return new ConfigError(subject, field, message);
    }

    private static List<string> Append(List<string> path, string segment) => [.. path, segment];

    private static bool IsScalar(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(TimeSpan)
        || type == typeof(DateTimeOffset) || type == typeof(DateTime) || type == typeof(Version) || type == typeof(Uri)
        || type == typeof(object);

    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = "Walks YARP's configuration records, whose assembly the project roots for trimming (Gateway.csproj)")]
    private static Type? DictionaryValueType(Type type)
    {
        foreach (var candidate in type.IsInterface ? [type, .. type.GetInterfaces()] : type.GetInterfaces())
        {
            if (candidate.IsGenericType && candidate.GetGenericTypeDefinition() is var definition
                && (definition == typeof(IReadOnlyDictionary<,>) || definition == typeof(IDictionary<,>))
                && candidate.GetGenericArguments()[0] == typeof(string))
            {
                return candidate.GetGenericArguments()[1];
            }
        }

        return null;
    }

    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = "Walks YARP's configuration records, whose assembly the project roots for trimming (Gateway.csproj)")]
    private static Type? ElementType(Type type)
    {
        if (type.IsArray)
        {
            return type.GetElementType();
        }

        if (!typeof(IEnumerable).IsAssignableFrom(type) && !(type.IsInterface && type.IsGenericType))
        {
            return null;
        }

        foreach (var candidate in type.IsInterface ? [type, .. type.GetInterfaces()] : type.GetInterfaces())
        {
            if (candidate.IsGenericType && candidate.GetGenericTypeDefinition() == typeof(IEnumerable<>))
            {
                return candidate.GetGenericArguments()[0];
            }
        }

        return null;
    }
}
