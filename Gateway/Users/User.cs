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

/// <summary>Users in PostgreSQL when configured, else in the embedded store.</summary>
internal interface IUserStore
{
    /// <summary>
    /// Creates the user on a first login, updates name and picture on later ones, atomically in the database:
    /// concurrent first logins of one person (same e-mail, any case) create exactly one user.
    /// </summary>
    Task<(User User, bool Created)> UpsertAsync(ExternalLogin login, string newUserId, string? forcedRole, CancellationToken cancellationToken = default);

    Task<User?> GetAsync(string id, CancellationToken cancellationToken = default);

    Task<User?> FindByEmailAsync(string email, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<User>> ListAsync(CancellationToken cancellationToken = default);

    Task<bool> SetRoleAsync(string email, string role, CancellationToken cancellationToken = default);

    /// <summary>Stores the protected API token unless one is already there; returns the one in force.</summary>
    Task<string?> SetApiTokenIfMissingAsync(string userId, string protectedToken, CancellationToken cancellationToken = default);

    Task<string?> GetLegacyPasswordHashAsync(string userId, CancellationToken cancellationToken = default);

    Task SetLegacyPasswordHashAsync(string userId, string hash, CancellationToken cancellationToken = default);
}
