namespace Tribuo.Gateway.Users;

/// <summary>A person known to the gateway (DESIGN §5 <c>users</c>).</summary>
internal sealed record User
{
    public required string Id { get; init; }
    public required string Email { get; init; }
    public string Name { get; init; } = "";
    public string? ImgUrl { get; init; }
    public string Role { get; init; } = UserRoles.Default;
    public string? Company { get; init; }
    public string? OrganizationSiret { get; init; }
    /// <summary>The user's personal API key secret, protected with ASP.NET Core data protection (never stored in clear).</summary>
    public string? ApiTokenProtected { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
}

internal static class UserRoles
{
    public const string Default = "default";
    public const string Admin = "admin";
}

/// <summary>What an identity provider told us about a person after a successful login.</summary>
internal sealed record ExternalLogin
{
    public required string Provider { get; init; }
    /// <summary>The provider's stable id for the person (OIDC <c>sub</c>, Zoho ZUID).</summary>
    public required string Subject { get; init; }
    public required string Email { get; init; }
    /// <summary>The provider vouches for <see cref="Email"/>: only then may it link to an existing user or earn <c>admin</c>.</summary>
    public bool EmailVerified { get; init; }
    public string Name { get; init; } = "";
    public string? ImgUrl { get; init; }
    public string? Company { get; init; }
    public string? Role { get; init; }
    public string? OrganizationSiret { get; init; }
    /// <summary>The id a new user gets (Zoho users keep their ZUID, as the existing sites expect); null: generated.</summary>
    public string? PreferredUserId { get; init; }
    /// <summary>True for DataPass logins: the user is marked in <c>datapass_users</c>.</summary>
    public bool IsDataPass { get; init; }
}

/// <summary>One way a person logs in: the provider's name and its stable id for them (DESIGN §5 <c>user_identities</c>).</summary>
internal sealed record UserIdentity(string Provider, string Subject, bool EmailVerified, DateTimeOffset CreatedAt);

/// <summary>The user an identity belongs to; <paramref name="Primary"/> when it is the identity the user was created (or migrated) with.</summary>
internal sealed record IdentityMatch(User User, bool Primary);

/// <summary>Users in PostgreSQL when configured, else in the embedded store.</summary>
internal interface IUserStore
{
    /// <summary>
    /// Creates the user of a first login with its identity, atomically; null when the e-mail (any case) already
    /// belongs to a user, so that concurrent first logins of one person create exactly one user.
    /// </summary>
    Task<User?> CreateAsync(ExternalLogin login, string newUserId, string? forcedRole, CancellationToken cancellationToken = default);

    /// <summary>Adds the login's identity to an existing user (no-op when already there).</summary>
    Task LinkAsync(ExternalLogin login, string userId, CancellationToken cancellationToken = default);

    Task<IdentityMatch?> FindByIdentityAsync(string provider, string subject, CancellationToken cancellationToken = default);

    /// <summary>The user's identities, oldest first.</summary>
    Task<IReadOnlyList<UserIdentity>> ListIdentitiesAsync(string userId, CancellationToken cancellationToken = default);

    /// <summary>Whether <c>datapass_users</c> already ties this DataPass subject to the user (users from before identities).</summary>
    Task<bool> IsDataPassSubjectAsync(string userId, string subject, CancellationToken cancellationToken = default);

    /// <summary>A later login: name, picture and SIRET follow the provider only when <paramref name="ownProfile"/>; a configured admin role applies.</summary>
    Task<User> UpdateProfileAsync(string userId, ExternalLogin login, bool ownProfile, string? forcedRole, CancellationToken cancellationToken = default);

    Task<User?> GetAsync(string id, CancellationToken cancellationToken = default);

    Task<User?> FindByEmailAsync(string email, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<User>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// At most <paramref name="limit"/> users in e-mail order after <paramref name="afterEmail"/> (keyset paging), only
    /// those whose e-mail or name contains <paramref name="search"/> or whose id is it, when given.
    /// </summary>
    Task<IReadOnlyList<User>> ListPageAsync(string? search, string? afterEmail, int limit, CancellationToken cancellationToken = default);

    Task<bool> SetRoleAsync(string email, string role, CancellationToken cancellationToken = default);

    /// <summary>Stores the protected API token whatever was there: the user's key was given a new secret.</summary>
    Task SetApiTokenAsync(string userId, string protectedToken, CancellationToken cancellationToken = default);

    /// <summary>Stores the protected API token unless one is already there; returns the one in force.</summary>
    Task<string?> SetApiTokenIfMissingAsync(string userId, string protectedToken, CancellationToken cancellationToken = default);

    /// <summary>Whether any account still has a password from before SSO.</summary>
    Task<bool> HasLegacyPasswordsAsync(CancellationToken cancellationToken = default);

    Task<string?> GetLegacyPasswordHashAsync(string userId, CancellationToken cancellationToken = default);

    Task SetLegacyPasswordHashAsync(string userId, string hash, CancellationToken cancellationToken = default);
}
