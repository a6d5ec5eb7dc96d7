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

    /// <summary>Removes every header in the namespace; allocates only when one is present.</summary>
    public static void Strip(IHeaderDictionary headers)
    {
        List<string>? doomed = null;
        foreach (var header in headers)
        {
            if (IsInNamespace(header.Key))
            {
                (doomed ??= []).Add(header.Key);
            }
        }

        if (doomed is null)
        {
            return;
        }

        foreach (var name in doomed)
        {
            headers.Remove(name);
        }
    }
}
