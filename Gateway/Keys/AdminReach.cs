namespace Tribuo.Gateway.Keys;

/// <summary>
/// What an admin key may hand out over <c>/gateway/keys</c>: nothing that can do more than the admin key itself.
/// <c>gateway:admin</c> administers keys; it does not make its holder a user or a <c>*</c> key. So granting
/// <c>*</c> needs <c>*</c>; granting <c>gateway:users</c> or binding a key to a user needs <c>gateway:users</c> (or
/// <c>*</c>); and rotating or editing a key that already holds such powers (whose new secret, or new scopes, would
/// carry them) needs the same. Revoking needs no more than <c>gateway:admin</c>: it only takes power away.
/// </summary>
internal static class AdminReach
{
    public const string AllScopes = "*";

    /// <summary>Why the caller may not create or shape a key with these scopes and this user, or null when it may.</summary>
    public static string? MayGrant(HttpContext context, IReadOnlyList<string>? scopes, string? userId)
    {
        if (scopes?.Contains(AllScopes) == true && !AdminAccess.CallerHoldsAnyOf(context, AllScopes))
        {
            return "Only a key holding '*' may give out '*'.";
        }

        if ((scopes?.Contains(KeysApi.UsersScope) == true || userId is not null) && !AdminAccess.CallerHoldsAnyOf(context, KeysApi.UsersScope))
        {
            return $"A key tied to a user acts as that user; binding one, or giving out '{KeysApi.UsersScope}', needs '*' or '{KeysApi.UsersScope}'.";
        }

        return null;
    }

    /// <summary>Why the caller may not rotate or edit <paramref name="target"/>, or null when it may.</summary>
    public static string? MayChange(HttpContext context, KeyRecord target) =>
        MayGrant(context, target.Scopes, target.UserId) is null ? null
            : $"Key '{target.Id}' can do more than the key making this request ('*', '{KeysApi.UsersScope}' or a user's identity): rotating or editing it needs the same.";
}
