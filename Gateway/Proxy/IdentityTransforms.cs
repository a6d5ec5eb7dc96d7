using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Tribuo.Gateway.Proxy;

/// <summary>
/// What every proxied request carries about its caller (DESIGN §7). The client's own <c>X-Tribuo-*</c>
/// headers were removed by the access step before YARP copied the request, so what is added here is all
/// the upstream sees under that namespace.
/// </summary>
internal static class IdentityTransforms
{
    public const string KeyIdHeader = "X-Tribuo-Key-Id";
    public const string KeyScopesHeader = "X-Tribuo-Key-Scopes";

    public static void Apply(TransformBuilderContext context)
    {
        context.AddRequestTransform(static transform =>
        {
            if (transform.HttpContext.Features.Get<GatewayCaller>() is { } caller && caller.KeyId is not null)
            {
                var headers = transform.ProxyRequest.Headers;
                headers.TryAddWithoutValidation(KeyIdHeader, caller.KeyId);
                headers.TryAddWithoutValidation(KeyScopesHeader, caller.KeyScopes);
            }

            return ValueTask.CompletedTask;
        });

        context.AddResponseTransform(static transform =>
        {
            if (transform.HttpContext.Features.Get<GatewayCaller>()?.CorsOrigin is { } origin)
            {
                // Set, not appended: the gateway decided this origin may read the answer, whatever the upstream says.
                var headers = transform.HttpContext.Response.Headers;
                headers.AccessControlAllowOrigin = origin;
                headers.Append("Vary", "Origin");
            }

            return ValueTask.CompletedTask;
        });
    }
}
