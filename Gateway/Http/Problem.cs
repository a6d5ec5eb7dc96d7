using Microsoft.AspNetCore.Mvc;

namespace Tribuo.Gateway.Http;

/// <summary>
/// The one error shape the gateway writes itself (RFC 9457 problem details), through ASP.NET Core's
/// <see cref="IProblemDetailsService"/>, so that the framework's own errors (a wrong method, a body that cannot be
/// read, an unhandled exception) come out the same way. Bodies explain what is wrong and what to do; they never
/// echo a credential, so callers must not pass secrets into <c>detail</c>.
/// </summary>
internal static class Problem
{
    public const string ContentType = "application/problem+json";

    private static readonly System.Text.Json.JsonSerializerOptions ProblemJson = new(System.Text.Json.JsonSerializerDefaults.Web)
    {
        TypeInfoResolver = GatewayJsonContext.Default,
    };

    /// <summary>AddProblemDetails, with the gateway's problem type URLs and no caching of errors.</summary>
    public static IServiceCollection AddGatewayProblemDetails(this IServiceCollection services) =>
        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            var status = context.ProblemDetails.Status ?? context.HttpContext.Response.StatusCode;
            context.ProblemDetails.Status = status;
            context.ProblemDetails.Type = TypeFor(status);
            context.HttpContext.Response.Headers.CacheControl = "no-store";
        });

    public static async Task WriteAsync(HttpContext context, int status, string title, string detail)
    {
        Operations.GatewayRequestFeature.SetReason(context, title);
        context.Response.StatusCode = status;
        var problem = new ProblemDetails { Status = status, Title = title, Detail = detail, Type = TypeFor(status) };
        var service = context.RequestServices.GetRequiredService<IProblemDetailsService>();
        if (!await service.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem }))
        {
            // The framework's writer declines when the client's Accept leaves JSON out; the contract is problem+json anyway.
            context.Response.Headers.CacheControl = "no-store";
            await context.Response.WriteAsJsonAsync(problem, ProblemJson.TypeInfo<ProblemDetails>(), ContentType, context.RequestAborted);
        }
    }

    /// <summary>A store or key the answer depends on is not available: 503 with a hint to retry.</summary>
    public static Task UnavailableAsync(HttpContext context, string title, string detail)
    {
        context.Response.Headers.RetryAfter = "5";
        return WriteAsync(context, StatusCodes.Status503ServiceUnavailable, title, detail + " Retry in a few seconds.");
    }

    private static string TypeFor(int status) => $"https://tribuo.cloud/gateway/problems/{status}";
}
