using System.Text.Json;
using System.Text.RegularExpressions;

namespace Tribuo.Gateway.Http;

/// <summary>
/// Reads a JSON request body for the gateway's own endpoints, strictly and within a size limit: the wrong
/// <c>Content-Type</c> is a 415, a body over the limit a 413 (counted while reading, never buffered beyond it), and
/// malformed JSON, a wrong type, an unknown field or a <c>null</c> where a value is needed a 400 naming the field.
/// </summary>
internal static partial class JsonBody
{
    /// <summary>What a read produced: the value, or the problem to answer with.</summary>
    internal sealed record Read<T>(T? Value, JsonDocument? Document, int Status, string Title, string Detail) where T : class
    {
        public bool Failed => Value is null;

        public Task WriteProblemAsync(HttpContext context) => Problem.WriteAsync(context, Status, Title, Detail);
    }

    public static async Task<Read<T>> ReadAsync<T>(HttpContext context, JsonSerializerOptions options, int maxBytes) where T : class
    {
        var request = context.Request;
        if (!HasUtf8JsonContentType(request))
        {
            return new(null, null, StatusCodes.Status415UnsupportedMediaType, "Unsupported media type",
                "Send the body as JSON in UTF-8 with Content-Type: application/json.");
        }

        var bytes = await ReadLimitedAsync(request, maxBytes, context.RequestAborted);
        if (bytes is null)
        {
            return new(null, null, StatusCodes.Status413PayloadTooLarge, "Body too large", $"This endpoint takes at most {maxBytes / 1024} KB.");
        }

        JsonDocument document;
        T? value;
        try
        {
            // A name given twice ({"id":"a","id":"b"}) is refused, not read as its last value.
            document = JsonDocument.Parse(bytes, new JsonDocumentOptions { AllowDuplicateProperties = false });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return Invalid<T>("(body): must be a JSON object.");
            }

            value = document.RootElement.Deserialize(options.TypeInfo<T>());
        }
        catch (JsonException ex)
        {
            return Invalid<T>(Describe(ex));
        }

        return value is null ? Invalid<T>("(body): must be a JSON object.") : new(value, document, StatusCodes.Status200OK, "", "");
    }

    /// <summary>
    /// JSON, and in UTF-8 (RFC 8259 §8.1): a body declared <c>charset=utf-16</c> would otherwise be read as UTF-8 and
    /// mean something else than its sender wrote.
    /// </summary>
    public static bool HasUtf8JsonContentType(HttpRequest request) =>
        request.HasJsonContentType()
        && (!Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(request.ContentType, out var type)
            || type.Charset.Length == 0
            || type.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || type.Charset.Equals("utf8", StringComparison.OrdinalIgnoreCase));

    /// <summary>The first <c>null</c> inside a list field, named as <c>field[index]</c>, or null when there is none.</summary>
    public static string? NullInList(string field, IReadOnlyList<string?>? values)
    {
        var index = values is null ? -1 : values.ToList().IndexOf(null);
        return index < 0 ? null : $"{field}[{index}]: must be a string, not null.";
    }

    public static Read<T> Invalid<T>(string detail) where T : class =>
        new(null, null, StatusCodes.Status400BadRequest, "Invalid request body", detail);

    /// <summary>Up to <paramref name="maxBytes"/> of the body; null as soon as it is longer (nothing more is buffered).</summary>
    public static async Task<byte[]?> ReadLimitedAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        if (request.ContentLength > maxBytes)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static string Describe(JsonException ex)
    {
        var field = ex.Path is null or "$" ? "(body)" : ex.Path.TrimStart('$', '.');
        var unknown = QuotedName().Match(ex.Message);
        if (ex.Message.Contains("could not be mapped", StringComparison.Ordinal) && unknown.Success)
        {
            return $"{unknown.Groups[1].Value}: is not a field of this request.";
        }

        if (ex.Message.Contains("could not be converted to", StringComparison.Ordinal))
        {
            var expected = ex.Message.Contains("DateTimeOffset", StringComparison.Ordinal) ? "a date and time (2027-01-01T00:00:00Z)"
                : ex.Message.Contains("Boolean", StringComparison.Ordinal) ? "true or false"
                : ex.Message.Contains("List", StringComparison.Ordinal) || ex.Message.Contains("[]", StringComparison.Ordinal) ? "a list of strings"
                : "a string";
            return $"{field}: has the wrong type; expected {expected}.";
        }

        if (ex.Message.Contains("uplicate", StringComparison.Ordinal))
        {
            // JsonDocument names the property in the message; the serializer (a second spelling in another case) in the path.
            var name = unknown.Success ? unknown.Groups[1].Value : field;
            return $"{name}: is given twice; give each field once.";
        }

        return ex.LineNumber is { } line ? $"{field}: is not valid JSON (line {line + 1})." : $"{field}: is not valid JSON.";
    }

    [GeneratedRegex("'([^']*)'")]
    private static partial Regex QuotedName();
}
