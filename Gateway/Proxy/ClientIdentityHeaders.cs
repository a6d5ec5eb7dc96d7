namespace Tribuo.Gateway.Proxy;

/// <summary>
/// The <c>X-Tribuo-*</c> namespace belongs to the gateway: upstreams trust it. Whatever a client sends under
/// it, in any case and with <c>_</c> for <c>-</c> (servers such as Kestrel, and many frameworks, treat
/// <c>X_Tribuo_User_Id</c> as <c>X-Tribuo-User-Id</c>), is removed before anything is added.
/// </summary>
internal static class ClientIdentityHeaders
{
    private const string Namespace = "x-tribuo-";

    public static bool IsInNamespace(string name) => HeaderName.StartsWith(name, Namespace);
}
