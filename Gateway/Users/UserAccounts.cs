using System.Security.Cryptography;
using Tribuo.Gateway.Keys;

namespace Tribuo.Gateway.Users;

/// <summary>A login the gateway will not complete; <see cref="Error"/> is the login page's <c>error</c> value.</summary>
internal sealed class LoginRefusedException(string error) : Exception($"Login refused ({error}).")
{
    public string Error { get; } = error;
}

/// <summary>
/// <c>Gateway:Roles:&lt;role&gt;:Scopes</c>: what a user's personal API key may call. Read once, at start: a key other
/// than <c>Scopes</c> under a role, or a scope that is empty or holds a space, is an error naming it.
/// </summary>
internal sealed class RoleScopes
{
    public const string Section = "Gateway:Roles";

    private readonly Dictionary<string, string[]> _scopes = new(StringComparer.OrdinalIgnoreCase);

    public RoleScopes(IConfiguration configuration)
    {
        foreach (var role in configuration.GetSection(Section).GetChildren())
        {
            var setting = $"{Section}:{role.Key}";
            Hosting.SettingValues.KnownKeys(configuration, setting, "Scopes");
            var scopes = Hosting.SettingValues.List(configuration, $"{setting}:Scopes");
            if (scopes.FirstOrDefault(s => s.Length == 0 || s.Any(char.IsWhiteSpace)) is { } bad)
            {
                throw new InvalidOperationException($"{setting}:Scopes: '{bad}' is not a scope (one word per item).");
            }

            _scopes[role.Key] = [.. scopes];
        }
    }

    /// <summary>Scopes of a role's API tokens; a role without configuration gets <c>user</c>.</summary>
    public IReadOnlyList<string> For(string role) =>
        _scopes.TryGetValue(role, out var scopes) && scopes.Length > 0 ? scopes : ["user"];
}

/// <summary>
/// Users as logins see them: created or updated from a provider's answer, each with a personal API key
/// (<c>api_token</c>, a key tied to the user) whose secret is kept protected so it can be handed to the
/// DataPass-style front ends.
/// </summary>
internal sealed partial class UserAccounts(IUserStore users, KeyService keys, RoleScopes roleScopes, UserApiTokens apiTokens, Operations.AuditTrail trail, ILogger<UserAccounts> logger)
{
    public static string KeyIdFor(string userId) => KeyRules.UserTokenPrefix + userId;

    /// <summary>
    /// The user this login is (DESIGN §5 "Who is who"): the one its identity (provider, sub) belongs to; else,
    /// for a new identity, a new user, or the user with the same e-mail when linking is allowed.
    /// Throws <see cref="LoginRefusedException"/> when the e-mail belongs to someone this identity may not become.
    /// </summary>
    public async Task<User> SignInAsync(ExternalLogin login, bool linkByEmail, IReadOnlyCollection<string> admins, CancellationToken cancellationToken)
    {
        // A configured admin e-mail is worth something only when the provider vouches for it.
        var forcedRole = login.EmailVerified && admins.Contains(login.Email, StringComparer.OrdinalIgnoreCase) ? UserRoles.Admin : null;
        for (var attempt = 0; ; attempt++)
        {
            if (await users.FindByIdentityAsync(login.Provider, login.Subject, cancellationToken) is { } known)
            {
                // The admin role follows the account's own e-mail: a known identity whose provider now asserts another
                // address (one in Admins, perhaps another user's) made this account an admin (an outside probe).
                var accountRole = string.Equals(known.User.Email, login.Email, StringComparison.OrdinalIgnoreCase) ? forcedRole : null;
                var updated = await users.UpdateProfileAsync(known.User.Id, login, ownProfile: known.Primary, accountRole, cancellationToken);
                return updated.ApiTokenProtected is null ? await EnsureApiTokenAsync(updated, cancellationToken) : updated;
            }

            var existing = await users.FindByEmailAsync(login.Email, cancellationToken);
            if (existing is null)
            {
                if (await users.CreateAsync(login, login.PreferredUserId ?? NewUserId(), forcedRole, cancellationToken) is { } created)
                {
                    Log.UserCreated(logger, created.Id, login.Provider);
                    trail.Record("user.created", created.Id, login.Provider);
                    return await EnsureApiTokenAsync(created, cancellationToken);
                }

                if (attempt < 3)
                {
                    continue; // a concurrent first login of the same e-mail won: look again
                }
            }
            else if (await MayLinkAsync(login, linkByEmail, existing, cancellationToken))
            {
                await users.LinkAsync(login, existing.Id, cancellationToken);
                Log.IdentityLinked(logger, existing.Id, login.Provider);
                trail.Record("user.identity_linked", existing.Id, login.Provider);
                var linked = await users.UpdateProfileAsync(existing.Id, login, ownProfile: false, forcedRole, cancellationToken);
                return linked.ApiTokenProtected is null ? await EnsureApiTokenAsync(linked, cancellationToken) : linked;
            }

            throw new LoginRefusedException(existing is null ? "state" : "link");
        }
    }

    /// <summary>
    /// Whether a new identity may become the existing user with its e-mail: the provider links by e-mail and
    /// vouches for it, and so did the identity the user was created with; or the user predates identities and
    /// this is the identity they came from (their ZUID, or their DataPass subject); or it is the account's own
    /// password.
    /// </summary>
    private async Task<bool> MayLinkAsync(ExternalLogin login, bool linkByEmail, User existing, CancellationToken cancellationToken)
    {
        if (login.PreferredUserId == existing.Id)
        {
            return true;
        }

        var identities = await users.ListIdentitiesAsync(existing.Id, cancellationToken);
        if (identities.Count == 0 && login.IsDataPass && await users.IsDataPassSubjectAsync(existing.Id, login.Subject, cancellationToken))
        {
            return true;
        }

        return linkByEmail && login.EmailVerified && (identities.Count == 0 || identities[0].EmailVerified);
    }

    /// <summary>
    /// Gives a user another role (CLI and console): their API token's scopes follow the role's
    /// (<c>Gateway:Roles:&lt;role&gt;:Scopes</c>), and the change is in the audit trail with who made it. Sessions and
    /// keys tied to the user see the new role within <see cref="UserDirectory.Ttl"/>. Null when there is no such user.
    /// </summary>
    public async Task<User?> ChangeRoleAsync(string email, string role, string actor, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(role) || role.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c == ','))
        {
            throw new KeyOperationException($"'{role}' is not a role: one word, no spaces or commas.");
        }

        var before = await users.FindByEmailAsync(email, cancellationToken);
        if (before is null || !await users.SetRoleAsync(email, role, cancellationToken))
        {
            return null;
        }

        // A revoked API token keeps its scopes: it answers nothing whatever they are, and cannot be changed.
        if (await keys.GetAsync(KeyIdFor(before.Id), cancellationToken) is { RevokedAt: null } token && token.UserId == before.Id)
        {
            await keys.UpdateAsync(KeyIdFor(before.Id), new KeyChanges(Scopes: roleScopes.For(role)), actor, cancellationToken);
        }

        Log.RoleChanged(logger, before.Id, before.Role, role, actor);
        await trail.RecordAsync("user.role_changed", before.Id, $"by {actor}; role {before.Role} → {role}", cancellationToken);
        return before with { Role = role };
    }

    /// <summary>The user's API key secret, or null when it cannot be read (e.g. the data protection keys were lost).</summary>
    public string? ReadApiToken(User user) => apiTokens.Read(user);

    private async Task<User> EnsureApiTokenAsync(User user, CancellationToken cancellationToken)
    {
        try
        {
            var issued = await keys.CreateUserTokenAsync(new KeySpec
            {
                Id = KeyIdFor(user.Id),
                Name = $"API token of {user.Email}",
                Scopes = roleScopes.For(user.Role),
                UserId = user.Id,
            }, cancellationToken);
            await users.SetApiTokenIfMissingAsync(user.Id, apiTokens.Protect(issued.Secret), cancellationToken);
        }
        catch (KeyOperationException)
        {
            // Another key under this id, not the user's (created before ids were reserved): no token, said once per login
            // rather than two seconds of waiting for a concurrent login that will never store one.
            if (await keys.GetAsync(KeyIdFor(user.Id), cancellationToken) is { } held && held.UserId != user.Id)
            {
                Log.TokenIdTaken(logger, user.Id, KeyIdFor(user.Id));
                return user;
            }

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
        [LoggerMessage(EventId = 601, Level = LogLevel.Information, Message = "audit: a {Provider} identity was linked to user {UserId} by its verified e-mail")]
        public static partial void IdentityLinked(ILogger logger, string userId, string provider);

        [LoggerMessage(EventId = 602, Level = LogLevel.Information, Message = "audit: user {UserId} role changed from {OldRole} to {NewRole} by {Actor}")]
        public static partial void RoleChanged(ILogger logger, string userId, string oldRole, string newRole, string actor);

        [LoggerMessage(EventId = 603, Level = LogLevel.Warning, Message = "User {UserId} has no API token: the key id {KeyId} is held by a key that is not bound to them; revoke it and rename it.")]
        public static partial void TokenIdTaken(ILogger logger, string userId, string keyId);

        [LoggerMessage(EventId = 600, Level = LogLevel.Information, Message = "audit: user {UserId} created at first login through {Provider}")]
        public static partial void UserCreated(ILogger logger, string userId, string provider);
    }
}
