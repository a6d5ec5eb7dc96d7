using Tribuo.Gateway.Http;
using Tribuo.Gateway.Routes;

namespace Tribuo.Gateway.Proxy;

/// <summary>Decides whether a caller may use a non-public route, and answers when not.</summary>
internal sealed class RouteAccess
{
    public Task AuthorizeAsync(HttpContext context, RoutePolicy policy, RequestDelegate next)
    {
        context.Response.Headers.WWWAuthenticate = "KEY realm=\"tribuo\"";
        return Problem.WriteAsync(context, StatusCodes.Status401Unauthorized, "Credential required",
            $"Route '{policy.RouteId}' needs an API key: send 'Authorization: KEY <secret>'.");
    }
}
