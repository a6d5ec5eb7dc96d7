using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Tribuo.Gateway.Keys;

namespace Tribuo.Gateway.Users;

/// <summary>
/// The protected copy of each user's API token (<c>users.api_token</c>), the secret of their key
/// <c>user-&lt;id&gt;</c> that the DataPass-style hand-off sends. It follows the key: a rotation, from the console, the
/// API or the CLI, stores the new secret, or the hand-off would keep sending one that answers 401.
/// </summary>
internal sealed class UserApiTokens(IUserStore users, IDataProtectionProvider protection) : IKeySecretFollower
{
    private readonly IDataProtector _protector = protection.CreateProtector("Tribuo.Gateway.Users.ApiToken");

    public string Protect(string secret) => _protector.Protect(secret);

    /// <summary>The secret, or null when there is none or it cannot be read (e.g. the data protection keys were lost).</summary>
    public string? Read(User user)
    {
        try
        {
            return user.ApiTokenProtected is null ? null : _protector.Unprotect(user.ApiTokenProtected);
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    public async Task SecretChangedAsync(KeyRecord key, string secret, CancellationToken cancellationToken)
    {
        // Only the user's own API token is handed off; another key bound to the user is theirs to keep.
        if (key.UserId is { } userId && key.Id == UserAccounts.KeyIdFor(userId))
        {
            await users.SetApiTokenAsync(userId, Protect(secret), cancellationToken);
        }
    }
}
