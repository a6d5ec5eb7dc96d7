using System.Net;
using Tribuo.Gateway.Proxy;

namespace Tribuo.Gateway.RateLimits;

/// <summary>Who a limit counts: the key, else the user, else the client's address as trusted proxies report it.</summary>
internal static class RateLimitCaller
{
    public static string Of(HttpContext context, ForwardedHeaders forwarded)
    {
        var caller = context.Features.Get<GatewayCaller>();
        if (caller?.KeyId is { } keyId)
        {
            return "key:" + keyId;
        }

        if (caller?.User is { } user)
        {
            return "user:" + user.Id;
        }

        return "ip:" + ClientAddress(context, forwarded);
    }

    /// <summary>
    /// The connection's address, unless it is a trusted proxy: then the nearest address its <c>X-Forwarded-For</c>
    /// chain names that is not itself a trusted proxy. Anyone else's <c>X-Forwarded-For</c> was already removed,
    /// so a client cannot pick its own counter. (When ASP.NET Core's forwarded-headers step has already put the
    /// client in <c>RemoteIpAddress</c>, that address is not trusted and is taken as it is.)
    /// </summary>
    public static string ClientAddress(HttpContext context, ForwardedHeaders forwarded)
    {
        var address = context.Connection.RemoteIpAddress;
        if (address is null)
        {
            return "unknown";
        }

        if (forwarded.IsTrusted(address))
        {
            var chain = context.Request.Headers["X-Forwarded-For"].ToString().Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            for (var i = chain.Length - 1; i >= 0; i--)
            {
                if (!IPAddress.TryParse(chain[i], out var hop))
                {
                    break;
                }

                address = hop;
                if (!forwarded.IsTrusted(hop))
                {
                    break;
                }
            }
        }

        return (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();
    }
}
