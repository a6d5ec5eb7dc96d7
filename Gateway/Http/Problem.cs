using System.Text.Json;

namespace Tribuo.Gateway.Http;

/// <summary>
/// The one error shape the gateway writes itself (RFC 9457 problem details). Bodies explain what is wrong
/// and what to do; they never echo a credential, so callers must not pass secrets into <c>detail</c>.
/// </summary>
internal static class Problem
{
    public const string ContentType = "application/problem+json";

    public static Task WriteAsync(HttpContext context, int status, string title, string detail)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = ContentType;
        response.Headers.CacheControl = "no-store";
        var body = new ProblemBody($"https://tribuo.cloud/gateway/problems/{status}", title, status, detail);
        return JsonSerializer.SerializeAsync(response.Body, body, GatewayJsonContext.Relaxed.ProblemBody, context.RequestAborted);
    }

    /// <summary>A store or key the answer depends on is not available: 503 with a hint to retry.</summary>
    public static Task UnavailableAsync(HttpContext context, string title, string detail)
    {
        context.Response.Headers.RetryAfter = "5";
        return WriteAsync(context, StatusCodes.Status503ServiceUnavailable, title, detail + " Retry in a few seconds.");
    }
}

internal sealed record ProblemBody(string Type, string Title, int Status, string Detail);
