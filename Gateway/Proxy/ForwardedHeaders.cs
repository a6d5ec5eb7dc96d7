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
    /// Whether a forwarding header the client sent is dropped: all of them unless the connection is a trusted proxy;
    /// their <c>_</c> spellings always (a trusted proxy writes the real names, and passes a client's
    /// <c>X_Forwarded_For</c> along untouched, which a CGI-style upstream would merge with the real one).
    /// </summary>
    public static bool IsDropped(string name, bool fromTrustedProxy) =>
        IsClientHeader(name) && (!fromTrustedProxy || name.Contains('_'));

    private static readonly int LongestName = ClientHeaders.Max(n => n.Length);

    /// <summary>Whether <paramref name="name"/> is one of the forwarding headers, in any spelling an upstream reads as it.</summary>
    public static bool IsClientHeader(string name) => name.Length <= LongestName && HeaderName.IsOneOf(name, ClientHeaders);

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

    /// <summary>
    /// An address or CIDR range in its plain form only: IPv4 as four decimal numbers without leading zeros (.NET would
    /// read <c>010.0.0.1</c> as octal 8.0.0.1 and <c>10.1</c> as 10.0.0.1, so a trust list would trust other hosts than
    /// it says), IPv6 in colon form without a zone, and a prefix length without sign or leading zero.
    /// </summary>
    internal static IPNetwork ParseNetwork(string entry)
    {
        var slash = entry.IndexOf('/', StringComparison.Ordinal);
        var addressPart = slash < 0 ? entry : entry[..slash];
        var prefixPart = slash < 0 ? null : entry[(slash + 1)..];
        if (PlainAddress(addressPart) is { } address)
        {
            var bits = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128;
            if (prefixPart is null)
            {
                return new IPNetwork(address, bits);
            }

            if (prefixPart is "0" or [>= '1' and <= '9', ..] && prefixPart.All(char.IsAsciiDigit) && prefixPart.Length <= 3
                && int.Parse(prefixPart, System.Globalization.CultureInfo.InvariantCulture) <= bits
                && IPNetwork.TryParse(entry, out var network))
            {
                return network;
            }
        }

        throw new InvalidOperationException($"{Setting}: '{entry}' is not an IP address or CIDR range in plain form "
            + "(10.0.0.1, 10.0.0.0/8, 2001:db8::/32; IPv4 as four numbers 0-255 without leading zeros, host bits zero in a range).");
    }

    private static IPAddress? PlainAddress(string text)
    {
        if (!IPAddress.TryParse(text, out var address) || text.Contains('%', StringComparison.Ordinal))
        {
            return null;
        }

        if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
        {
            // The canonical dotted quad is the only spelling accepted: no octal, hex, short or padded forms.
            return address.ToString() == text ? address : null;
        }

        return address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 && text.Contains(':', StringComparison.Ordinal)
            && text.All(c => char.IsAsciiHexDigit(c) || c is ':' or '.') ? address : null;
    }
}
