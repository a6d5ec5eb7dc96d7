using Microsoft.AspNetCore.WebUtilities;
using Yarp.ReverseProxy.Model;

namespace Tribuo.Gateway.Http;

/// <summary>
/// Errors the framework produces on the gateway's own endpoints (a wrong method, a body that cannot be bound, a
/// body over the limit, an unhandled exception) leave as problem+json like the gateway's own. A proxied answer is
/// the upstream's and is passed on as it came, empty or not.
/// </summary>
internal static class ErrorResponses
{
    public static IServiceCollection AddGatewayErrors(this IServiceCollection services)
    {
        services.AddGatewayProblemDetails();
        services.AddSingleton<GatewayPathMethods>();
        return services;
    }

    public static WebApplication UseGatewayErrors(this WebApplication app)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            // A request Kestrel refused while the body was read (too large, cut short) is the client's error, never a 500.
            StatusCodeSelector = exception => exception is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError,
        });
        app.UseMiddleware<EmptyErrorBodies>();
        return app;
    }

    /// <summary>
    /// An error status without a body gets the gateway's problem+json body, unless the answer is an upstream's. The
    /// rule of ASP.NET Core's status-code pages (400–599, not started, no length, no type), which this replaces: they
    /// also set a feature and an <c>HttpContext.Items</c> entry on every request, proxied ones included, which cost
    /// each request four allocations (the items dictionary among them) for nothing the gateway reads.
    /// </summary>
    private sealed class EmptyErrorBodies(RequestDelegate next)
    {
        public Task InvokeAsync(HttpContext context)
        {
            var answered = next(context);
            return answered.IsCompletedSuccessfully ? DescribeAsync(context) : DescribeAfterAsync(answered, context);
        }

        private static async Task DescribeAfterAsync(Task answered, HttpContext context)
        {
            await answered;
            await DescribeAsync(context);
        }

        private static Task DescribeAsync(HttpContext context)
        {
            var response = context.Response;
            if (response.HasStarted || response.StatusCode is < 400 or > 599 || response.ContentLength is not null
                || !string.IsNullOrEmpty(response.ContentType) || context.Features.Get<IReverseProxyFeature>() is not null)
            {
                return Task.CompletedTask;
            }

            var status = response.StatusCode;
            return Problem.WriteAsync(context, status, ReasonPhrases.GetReasonPhrase(status), DetailFor(status));
        }
    }

    private static string DetailFor(int status) => status switch
    {
        StatusCodes.Status400BadRequest => "The request could not be read; check the body and its fields.",
        StatusCodes.Status405MethodNotAllowed => "This endpoint does not answer this method; the Allow header lists those it does.",
        StatusCodes.Status413PayloadTooLarge => "The body is larger than this endpoint accepts.",
        StatusCodes.Status415UnsupportedMediaType => "This endpoint takes a body of another Content-Type (application/json).",
        _ => "The gateway could not answer this request.",
    };
}
