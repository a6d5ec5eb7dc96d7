using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;

namespace Tribuo.Gateway.Http;

/// <summary>
/// The <c>token</c> of an unauthenticated body (<c>POST /auth/check-token</c>, <c>/auth/logout</c>): at most 16 KB,
/// enforced while reading (Kestrel's per-request limit and our own count, so nothing larger is ever buffered), a form
/// of a few fields or a JSON object whose <c>token</c> is a string. Anything else is answered 400, 413 or (a body of
/// another content type) 415, never 500.
/// </summary>
internal static class TokenBody
{
    public const int MaxBytes = 16 * 1024;

    private static readonly FormOptions SmallForm = SmallFormLimits(MaxBytes, fields: 16);

    /// <summary>The limits of a small form a page of the gateway posts (check-token, logout, the console's forms): its bytes and fields.</summary>
    public static FormOptions SmallFormLimits(int maxBytes, int fields) => new()
    {
        ValueCountLimit = fields,
        KeyLengthLimit = 64,
        ValueLengthLimit = maxBytes,
        MultipartBodyLengthLimit = maxBytes,
        MultipartHeadersCountLimit = 8,
        MultipartHeadersLengthLimit = 1024,
        BufferBody = false,
    };

    /// <summary>The token (null when the body has none), or the status and reason to refuse the body with.</summary>
    internal sealed record Result(string? Token, int Status = StatusCodes.Status200OK, string? Problem = null)
    {
        public bool Refused => Problem is not null;

        public Task WriteProblemAsync(HttpContext context) => Http.Problem.WriteAsync(context, Status,
            Status switch
            {
                StatusCodes.Status413PayloadTooLarge => "Body too large",
                StatusCodes.Status415UnsupportedMediaType => "Unsupported content type",
                _ => "Invalid request body",
            }, Problem!);
    }

    /// <summary>
    /// Whether the request comes with a body (a length above zero, or chunked): a POST without one is read as
    /// "no token", whatever its content type says.
    /// </summary>
    public static bool HasBody(HttpRequest request) =>
        request.ContentLength > 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0);

    public static Result UnsupportedContentType() => new(null, StatusCodes.Status415UnsupportedMediaType,
        "(body): send application/json or application/x-www-form-urlencoded (or multipart/form-data).");

    public static async Task<Result> ReadAsync(HttpContext context)
    {
        var request = context.Request;
        if (request.ContentLength > MaxBytes)
        {
            return TooLarge();
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxBytes;
        }

        try
        {
            if (request.HasFormContentType)
            {
                var form = await request.ReadFormAsync(SmallForm, context.RequestAborted);
                return new(form.TryGetValue("token", out var value) ? value.ToString() : null);
            }

            if (request.HasJsonContentType())
            {
                return JsonBody.HasUtf8JsonContentType(request) ? await ReadJsonAsync(request, context.RequestAborted) : UnsupportedContentType();
            }

            if (HasBody(request))
            {
                return UnsupportedContentType();
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge();
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or BadHttpRequestException)
        {
            // Malformed multipart, too many fields, a key or value too long, a body cut short.
            return new(null, StatusCodes.Status400BadRequest, "The form could not be read: send token=<token> as a small form or JSON.");
        }

        return new(null);
    }

    private static async Task<Result> ReadJsonAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var bytes = await JsonBody.ReadLimitedAsync(request, MaxBytes, cancellationToken);
        if (bytes is null)
        {
            return TooLarge();
        }

        try
        {
            using var document = JsonDocument.Parse(JsonBody.WithoutByteOrderMark(bytes));
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return new(null, StatusCodes.Status400BadRequest, "(body): must be a JSON object such as {\"token\": \"...\"}.");
            }

            if (!document.RootElement.TryGetProperty("token", out var token))
            {
                return new(null);
            }

            if (token.ValueKind != JsonValueKind.String)
            {
                return new(null, StatusCodes.Status400BadRequest, "token: must be a string.");
            }

            return new(token.GetString());
        }
        catch (InvalidOperationException)
        {
            // GetString throws, rather than JsonDocument.Parse, for invalid UTF-8 or a lone surrogate (\ud800).
            return new(null, StatusCodes.Status400BadRequest, "token: must be valid text (UTF-8, no lone surrogate).");
        }
        catch (JsonException ex)
        {
            return new(null, StatusCodes.Status400BadRequest, $"(body): is not valid JSON (line {ex.LineNumber + 1}).");
        }
    }

    private static Result TooLarge() => new(null, StatusCodes.Status413PayloadTooLarge, $"This endpoint takes at most {MaxBytes / 1024} KB.");
}
