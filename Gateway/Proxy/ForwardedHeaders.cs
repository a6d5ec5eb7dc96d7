using System.Net;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Tribuo.Gateway.Proxy;

/// <summary>
/// <c>X-Forwarded-*</c> and <c>Forwarded</c> describe the real client connection (DESIGN §7). What a client
/// sends there is thrown away, so nobody can claim another address to an upstream's allow-list, unless the
/// connection comes from a configured trusted proxy (<c>Gateway:TrustedProxies</c>: addresses or CIDR
/// ranges, such as the load balancer in front), whose values are kept and appended to.
/// </summary>
internal sealed class ForwardedHeaders
{
    private static readonly string[] ClientHeaders =
        ["X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Forwarded-Prefix", "Forwarded"];

    public const string Setting = "Gateway:TrustedProxies";

    private readonly IPNetwork[] _trusted;

    public ForwardedHeaders(IConfiguration configuration)
    {
        var entries = Hosting.SettingValues.List(configuration, Setting);
        _trusted = entries.Select(ParseNetwork).ToArray();
    }

    public IReadOnlyList<IPNetwork> TrustedNetworks => _trusted;

    public bool IsTrusted(IPAddress? address)
    {
        if (address is null || _trusted.Length == 0)
        {
            return false;
        }

        var mapped = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        foreach (var network in _trusted)
        {
            if (network.Contains(mapped))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Drops the client's forwarding headers unless it is a trusted proxy; their <c>_</c> spellings always (a
    /// trusted proxy writes the real names, and passes a client's <c>X_Forwarded_For</c> along untouched, which a
    /// CGI-style upstream would merge with the real one). Allocates only when one is present.
    /// </summary>
    public void Sanitize(HttpContext context)
    {
        var trusted = IsTrusted(context.Connection.RemoteIpAddress);
        var headers = context.Request.Headers;
        List<string>? doomed = null;
        foreach (var header in headers)
        {
            var name = header.Key;
            if (name.Length <= LongestName && IsClientHeader(name) && (!trusted || name.Contains('_')))
            {
                (doomed ??= []).Add(name);
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

    private static readonly int LongestName = ClientHeaders.Max(n => n.Length);

    private static bool IsClientHeader(string name)
    {
        foreach (var known in ClientHeaders)
        {
            if (HeaderName.Is(name, known))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Appends rather than YARP's default set: with untrusted values already removed, append gives exactly
    /// the real connection, and behind a trusted proxy it keeps the chain. Routes that configure their own
    /// X-Forwarded transform keep it.
    /// </summary>
    public static void AddTransforms(TransformBuilderContext context)
    {
        var ownForwarded = context.Route.Transforms?.Any(t => t.Keys.Any(k =>
            k.StartsWith("X-Forwarded", StringComparison.OrdinalIgnoreCase) || k.Equals("Forwarded", StringComparison.OrdinalIgnoreCase))) == true;
        if (ownForwarded)
        {
            return;
        }

        context.UseDefaultForwarders = false;
        context.AddXForwarded(ForwardedTransformActions.Append);
    }

    private static IPNetwork ParseNetwork(string entry)
    {
        if (IPNetwork.TryParse(entry, out var network))
        {
            return network;
        }

        if (IPAddress.TryParse(entry, out var address))
        {
            return new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
        }

        throw new InvalidOperationException($"Gateway:TrustedProxies: '{entry}' is not an IP address or CIDR range.");
    }
}
