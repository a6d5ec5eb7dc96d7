using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Connections.Features;

namespace Tribuo.Gateway.Keys;

/// <summary>
/// The SHA-256 of the last <c>Authorization</c> header a connection sent with a key, so that a client sending
/// the same key over a kept-alive connection has it hashed once rather than on every request: OpenSSL's
/// one-shot SHA-256 costs about a microsecond and a half, some 3% of a proxied request. The header is compared
/// in constant time; the memo lives in the connection's items as long as the connection, which holds the same
/// header anyway, and only ever serves that connection's own requests. HTTP/2 streams of one connection may
/// run at once: the memo is one immutable pair, swapped whole.
/// </summary>
internal sealed class ConnectionKeyHash
{
    private static readonly object ItemKey = new();

    private Entry? _last;

    /// <summary>The memo of the request's connection, created on its first key; null where the server keeps no connection items.</summary>
    public static ConnectionKeyHash? For(HttpContext context)
    {
        var items = context.Features.Get<IConnectionItemsFeature>()?.Items;
        if (items is null)
        {
            return null;
        }

        if (items.TryGetValue(ItemKey, out var existing) && existing is ConnectionKeyHash memo)
        {
            return memo;
        }

        memo = new ConnectionKeyHash();
        items[ItemKey] = memo;
        return memo;
    }

    /// <summary>Writes the SHA-256 of <paramref name="secret"/>, read from <paramref name="authorization"/>, into <paramref name="hash"/>.</summary>
    public void Hash(string authorization, ReadOnlySpan<char> secret, Span<byte> hash)
    {
        var last = Volatile.Read(ref _last);
        if (last is not null && (ReferenceEquals(last.Authorization, authorization) || CryptographicOperations.FixedTimeEquals(
                MemoryMarshal.AsBytes(last.Authorization.AsSpan()), MemoryMarshal.AsBytes(authorization.AsSpan()))))
        {
            last.Hash.CopyTo(hash);
            return;
        }

        KeySecrets.Hash(secret, hash);
        Volatile.Write(ref _last, new Entry(authorization, hash.ToArray()));
    }

    private sealed record Entry(string Authorization, byte[] Hash);
}
