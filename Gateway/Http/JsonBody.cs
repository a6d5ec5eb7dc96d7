using System.Text.Json;

namespace Tribuo.Gateway.Http;

/// <summary>
/// Reads a JSON request body for the gateway's own endpoints, strictly and within a size limit: the wrong
/// <c>Content-Type</c> is a 415, a body over the limit a 413 (counted while reading, never buffered beyond it), and
/// malformed JSON, a wrong type, an unknown field or a <c>null</c> where a value is needed a 400 naming the field.
/// </summary>
internal static class JsonBody
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
        try
        {
            document = JsonDocument.Parse(WithoutByteOrderMark(bytes));
        }
        catch (JsonException ex)
        {
            return Invalid<T>($"(body): is not valid JSON (line {ex.LineNumber + 1}).");
        }

        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            return Invalid<T>("(body): must be a JSON object.");
        }

        if (GivenTwice(document.RootElement) is { } twice)
        {
            return Invalid<T>(twice);
        }

        var type = options.TypeInfo<T>();
        try
        {
            return document.RootElement.Deserialize(type) is { } value
                ? new(value, document, StatusCodes.Status200OK, "", "")
                : Invalid<T>("(body): must be a JSON object.");
        }
        catch (JsonException ex)
        {
            var steps = JsonFieldError.Steps(ex.Path);
            var field = steps.Count == 0 ? "(body)" : JsonFieldError.Field(steps);
            return Invalid<T>(JsonFieldError.Problem(type, document.RootElement, steps) is { } problem
                ? $"{field}: {problem}."
                : $"{steps.FirstOrDefault().Name ?? field}: is not a field of this request.");
        }
    }

    /// <summary>
    /// A name given twice, in any case ({"id":"a","Id":"b"}), is refused, not read as its last value: which one the
    /// caller meant is not a guess to make. Bodies are flat, so only the top level can hold a field twice.
    /// </summary>
    private static string? GivenTwice(JsonElement body)
    {
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var property in body.EnumerateObject())
        {
            string name;
            try
            {
                name = property.Name;
            }
            catch (InvalidOperationException)
            {
                // JsonDocument.Parse lets invalid UTF-8 through; reading it as text throws.
                return "(body): a field name is not valid UTF-8 text.";
            }

            if (!seen.Add(name))
            {
                return $"{name}: is given twice; give each field once.";
            }
        }

        return null;
    }

    /// <summary>
    /// JSON, and in UTF-8 (RFC 8259 §8.1): a body declared <c>charset=utf-16</c> would otherwise be read as UTF-8 and
    /// mean something else than its sender wrote. <c>charset="utf-8"</c> is the same value quoted (RFC 9110 §5.6.6).
    /// </summary>
    public static bool HasUtf8JsonContentType(HttpRequest request) =>
        request.HasJsonContentType()
        && (!Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(request.ContentType, out var type)
            || type.Charset.Length == 0
            || Microsoft.Net.Http.Headers.HeaderUtilities.RemoveQuotes(type.Charset) is var charset
                && (charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || charset.Equals("utf8", StringComparison.OrdinalIgnoreCase)));

    /// <summary>
    /// The body after a UTF-8 byte order mark, if it starts with one: RFC 8259 §8.1 lets a reader ignore it, and
    /// System.Text.Json's stream readers do, but not JsonDocument.Parse of bytes.
    /// </summary>
    public static ReadOnlyMemory<byte> WithoutByteOrderMark(byte[] body) => body.AsMemory(body.AsSpan().StartsWith("\uFEFF"u8) ? 3 : 0);

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
}
