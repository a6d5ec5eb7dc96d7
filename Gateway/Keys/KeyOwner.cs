using Tribuo.Gateway.Users;

namespace Tribuo.Gateway.Keys;

/// <summary>
/// The user a key tied to one acts as, checked the same way wherever such a key is accepted (routes and the gateway's
/// own administration endpoints): the user must still exist, else the key is refused ("Key owner unknown").
/// </summary>
internal static class KeyOwner
{
    /// <summary>
    /// The key's user (null for a key tied to nobody), or <c>Refused</c> when the answer (403 for a user who no longer
    /// exists, 503 when the user store cannot be asked) has been written.
    /// </summary>
    public static async ValueTask<(bool Refused, User? Owner)> CheckAsync(HttpContext context, CachedKeyRecord key, UserDirectory users)
    {
        if (key.UserId is not { } userId)
        {
            return (false, null);
        }

        User? owner;
        try
        {
            owner = await users.GetAsync(userId);
        }
        catch (Exception)
        {
            await Http.Problem.UnavailableAsync(context, "User store unavailable", "The gateway cannot check this key's owner right now.");
            return (true, null);
        }

        if (owner is null)
        {
            await KeyProblems.ForbiddenAsync(context, "Key owner unknown", $"Key '{key.Id}' belongs to a user who no longer exists.");
            return (true, null);
        }

        return (false, owner);
    }
}
