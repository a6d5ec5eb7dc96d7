using System.Buffers.Text;
using System.Text;

namespace Tribuo.Gateway.Keys;

/// <summary>
/// One page of a key listing (admin API and CLI): at most <see cref="Limit"/> keys in id order after the cursor,
/// optionally only a user's, only those holding a scope, or only ids starting with a prefix. Paging by id (keyset)
/// keeps every page's cost bounded whatever the number of keys, and a key created meanwhile never shifts a page.
/// </summary>
internal sealed record KeyQuery(int Limit, string? After = null, string? UserId = null, string? Scope = null, string? IdPrefix = null)
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    public bool Matches(KeyRecord key) =>
        (UserId is null || key.UserId == UserId)
        && (Scope is null || key.Scopes.Contains(Scope, StringComparer.Ordinal))
        && (IdPrefix is null || key.Id.StartsWith(IdPrefix, StringComparison.Ordinal));

    /// <summary>The cursor handed to clients: opaque, so the paging scheme can change without breaking them.</summary>
    public static string CursorAfter(string id) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(id));

    /// <summary>The id a cursor stands for; false when it is not one this gateway handed out.</summary>
    public static bool TryReadCursor(string cursor, out string id)
    {
        id = "";
        if (cursor.Length is 0 or > 400 || !cursor.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            return false;
        }

        var bytes = new byte[Base64Url.GetMaxDecodedLength(cursor.Length)];
        try
        {
            // "Try" in name only: an impossible length or trailing bits (cursor=zzz, cursor=a) still throw.
            if (!Base64Url.TryDecodeFromChars(cursor, bytes, out var written) || written == 0)
            {
                return false;
            }

            id = Encoding.UTF8.GetString(bytes, 0, written);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}

/// <summary>A page of keys and the cursor of the next one (null on the last page).</summary>
internal sealed record KeyPage(IReadOnlyList<KeyRecord> Keys, string? Next);

/// <summary>Keyset paging over a key store.</summary>
internal interface IKeyPager
{
    Task<KeyPage> ListAsync(KeyQuery query, CancellationToken cancellationToken = default);
}
