using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Tribuo.Gateway.Keys;

namespace Tribuo.Gateway.Users;

/// <summary><c>Gateway:Roles:&lt;role&gt;:Scopes</c>: what a user's personal API key may call.</summary>
internal sealed class RoleScopes(IConfiguration configuration)
{
    /// <summary>Scopes of a role's API tokens; a role without configuration gets <c>user</c>.</summary>
    public IReadOnlyList<string> For(string role) =>
        configuration.GetSection($"Gateway:Roles:{role}:Scopes").Get<string[]>() is { Length: > 0 } scopes ? scopes : ["user"];
}

/// <summary>
/// Users as logins see them: created or updated from a provider's answer, each with a personal API key
/// (<c>api_token</c>, a key tied to the user) whose secret is kept protected so it can be handed to the
/// DataPass-style front ends.
/// </summary>
internal sealed partial class UserAccounts(IUserStore users, KeyService keys, RoleScopes roleScopes, IDataProtectionProvider protection, Operations.AuditTrail trail, ILogger<UserAccounts> logger)
{
    private readonly IDataProtector _apiTokens = protection.CreateProtector("Tribuo.Gateway.Users.ApiToken");

    public static string KeyIdFor(string userId) => "user-" + userId;

    public async Task<User> SignInAsync(ExternalLogin login, IReadOnlyCollection<string> admins, CancellationToken cancellationToken)
    {
        var forcedRole = admins.Contains(login.Email, StringComparer.OrdinalIgnoreCase) ? UserRoles.Admin : null;
        var (user, created) = await users.UpsertAsync(login, login.PreferredUserId ?? NewUserId(), forcedRole, cancellationToken);
        if (created)
        {
            Log.UserCreated(logger, user.Id, login.Provider);
            trail.Record("user.created", user.Id, login.Provider);
        }

        return user.ApiTokenProtected is null ? await EnsureApiTokenAsync(user, cancellationToken) : user;
    }

    /// <summary>The user's API key secret, or null when it cannot be read (e.g. the data protection keys were lost).</summary>
    public string? ReadApiToken(User user)
    {
        try
        {
            return user.ApiTokenProtected is null ? null : _apiTokens.Unprotect(user.ApiTokenProtected);
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    private async Task<User> EnsureApiTokenAsync(User user, CancellationToken cancellationToken)
    {
        try
        {
            var issued = await keys.CreateAsync(new KeySpec
            {
                Id = KeyIdFor(user.Id),
                Name = $"API token of {user.Email}",
                Scopes = roleScopes.For(user.Role),
                UserId = user.Id,
            }, "login", cancellationToken);
            await users.SetApiTokenIfMissingAsync(user.Id, _apiTokens.Protect(issued.Secret), cancellationToken);
        }
        catch (KeyOperationException)
        {
            // A concurrent first login of the same person created the key; its request stores the token.
            for (var attempt = 0; attempt < 20 && (await users.GetAsync(user.Id, cancellationToken))?.ApiTokenProtected is null; attempt++)
            {
                await Task.Delay(100, cancellationToken);
            }
        }

        return await users.GetAsync(user.Id, cancellationToken) ?? user;
    }

    /// <summary>An 18-digit id like the ZUIDs the sites already know, for users who did not come through Zoho.</summary>
    private static string NewUserId() =>
        (BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8)) % 900_000_000_000_000_000UL + 100_000_000_000_000_000UL).ToString();

    private static partial class Log
    {
        [LoggerMessage(EventId = 600, Level = LogLevel.Information, Message = "audit: user {UserId} created at first login through {Provider}")]
        public static partial void UserCreated(ILogger logger, string userId, string provider);
    }
}
