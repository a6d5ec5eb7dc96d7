using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Tribuo.Gateway.Keys;

/// <summary>How secrets look, how they are hashed, and how they are read from <c>Authorization</c>.</summary>
internal static class KeySecrets
{
    /// <summary>
    /// Generated secrets start with this so that secret scanners (GitHub's, gitleaks) can be taught to find
    /// leaked ones, and so that a person reading a config can tell a gateway key from other tokens.
    /// </summary>
    public const string Prefix = "tgw_";

    public const string Scheme = "KEY";

    /// <summary>A new secret: the prefix and 32 random bytes in base64url (256 bits).</summary>
    public static string Generate() => Prefix + Base64Url(RandomNumberGenerator.GetBytes(32));

    /// <summary>Lowercase hex SHA-256 of the secret's UTF-8 bytes, as stored.</summary>
    public static string HashHex(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    /// <summary>Hashes into <paramref name="hash"/> (32 bytes) without allocating.</summary>
    public static void Hash(ReadOnlySpan<char> secret, Span<byte> hash)
    {
        var max = Encoding.UTF8.GetMaxByteCount(secret.Length);
        byte[]? rented = null;
        var buffer = max <= 512 ? stackalloc byte[512] : (rented = ArrayPool<byte>.Shared.Rent(max));
        try
        {
            var length = Encoding.UTF8.GetBytes(secret, buffer);
            SHA256.HashData(buffer[..length], hash);
        }
        finally
        {
            if (rented is not null)
            {
                CryptographicOperations.ZeroMemory(rented);
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// Reads <c>KEY &lt;secret&gt;</c>: scheme case-insensitive, one or more spaces. Returns false for any
    /// other scheme; an empty secret after the scheme is returned as empty (a malformed credential).
    /// </summary>
    public static bool TryReadKey(ReadOnlySpan<char> authorization, out ReadOnlySpan<char> secret)
    {
        secret = default;
        if (authorization.Length < Scheme.Length || !authorization[..Scheme.Length].Equals(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var rest = authorization[Scheme.Length..];
        if (rest.Length > 0 && rest[0] != ' ')
        {
            return false; // "KEYS ..." or "KEYx" is another scheme
        }

        secret = rest.Trim(' ');
        return true;
    }

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
