using Yarp.ReverseProxy.Transforms.Builder;

namespace Tribuo.Gateway.Proxy;

/// <summary>What every proxied request carries about its caller (DESIGN §7).</summary>
internal static class IdentityTransforms
{
    public static void Apply(TransformBuilderContext context)
    {
    }
}
