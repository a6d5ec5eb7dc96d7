using System.Data.Common;
using Dapper;
using Tribuo.Gateway.Users;

namespace Tribuo.Gateway.Storage;

/// <summary>
/// Users in PostgreSQL or the embedded SQLite file: the same statements, with the two places where the
/// dialects differ (the unique e-mail the upsert conflicts on, and how a timestamp is written).
/// </summary>
internal sealed class SqlUserStore(Func<CancellationToken, Task<DbConnection>> open, SqlUserStore.Dialect dialect, TimeProvider time) : IUserStore
{
    /// <param name="EmailConflictTarget">PostgreSQL: the <c>lower(email)</c> index; SQLite: the NOCASE column.</param>
    /// <param name="Now">The value stored in <c>created_at</c>.</param>
    internal sealed record Dialect(string EmailConflictTarget, Func<DateTimeOffset, object> Now)
    {
        public static readonly Dialect Postgres = new("((lower(email)))", now => now);
        public static readonly Dialect Sqlite = new("(email)", now => now.ToUnixTimeMilliseconds());
    }

    public async Task<User?> CreateAsync(ExternalLogin login, string newUserId, string? forcedRole, CancellationToken cancellationToken = default)
    {
        await using var connection = await open(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // The unique e-mail is what makes concurrent first logins of one person create one user: the loser
        // inserts nothing and looks again.
        var row = await connection.QuerySingleOrDefaultAsync<UserRow>($"""
            INSERT INTO users (id, email, name, img_url, role, company, organization_siret, created_at)
            VALUES (@newUserId, @Email, @Name, @ImgUrl, COALESCE(@forcedRole, @Role, 'default'), @Company, @OrganizationSiret, @now)
            ON CONFLICT {dialect.EmailConflictTarget} DO NOTHING
            RETURNING {UserRow.Columns}
            """,
            new { newUserId, login.Email, login.Name, login.ImgUrl, forcedRole, login.Role, login.Company, login.OrganizationSiret, now = dialect.Now(time.GetUtcNow()) },
            transaction);
        if (row is null)
        {
            return null;
        }

        await InsertIdentityAsync(connection, transaction, login, row.id);
        await transaction.CommitAsync(cancellationToken);
        return row.ToUser();
    }

    public async Task LinkAsync(ExternalLogin login, string userId, CancellationToken cancellationToken = default)
    {
        await using var connection = await open(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await InsertIdentityAsync(connection, transaction, login, userId);
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<IdentityMatch?> FindByIdentityAsync(string provider, string subject, CancellationToken cancellationToken = default)
    {
        await using var connection = await open(cancellationToken);
        var userId = await connection.QuerySingleOrDefaultAsync<string?>(
            "SELECT user_id FROM user_identities WHERE provider = @provider AND subject = @subject", new { provider, subject });
        if (userId is null || await connection.QuerySingleOrDefaultAsync<UserRow>($"SELECT {UserRow.Columns} FROM users WHERE id = @userId", new { userId }) is not { } row)
        {
            return null;
        }

        var first = (await IdentitiesAsync(connection, userId))[0];
        return new IdentityMatch(row.ToUser(), first.Provider == provider && first.Subject == subject);
    }

    public async Task<IReadOnlyList<UserIdentity>> ListIdentitiesAsync(string userId, CancellationToken cancellationToken = default)
    {
        await using var connection = await open(cancellationToken);
        return await IdentitiesAsync(connection, userId);
    }

    public async Task<bool> IsDataPassSubjectAsync(string userId, string subject, CancellationToken cancellationToken = default)
    {
        await using var connection = await open(cancellationToken);
        return await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM datapass_users WHERE id = @subject AND user_id = @userId", new { subject, userId }) > 0;
    }

    public async Task<User> UpdateProfileAsync(string userId, ExternalLogin login, bool ownProfile, string? forcedRole, CancellationToken cancellationToken = default)
    {
        await using var connection = await open(cancellationToken);
        // Only the identity that created the user keeps its profile current: a linked identity never rewrites it.
        var row = await connection.QuerySingleAsync<UserRow>($"""
            UPDATE users SET
                name = CASE WHEN @ownProfile AND @Name <> '' THEN @Name ELSE name END,
                img_url = CASE WHEN @ownProfile THEN COALESCE(@ImgUrl, img_url) ELSE img_url END,
                organization_siret = CASE WHEN @ownProfile THEN COALESCE(@OrganizationSiret, organization_siret) ELSE organization_siret END,
                role = COALESCE(@forcedRole, role)
            WHERE id = @userId
            RETURNING {UserRow.Columns}
            """,
            new { userId, ownProfile, login.Name, login.ImgUrl, login.OrganizationSiret, forcedRole });
        return row.ToUser();
    }

    private async Task InsertIdentityAsync(DbConnection connection, DbTransaction transaction, ExternalLogin login, string userId)
    {
        await connection.ExecuteAsync("""
            INSERT INTO user_identities (provider, subject, user_id, email_verified, created_at)
            VALUES (@Provider, @Subject, @userId, @EmailVerified, @now)
            ON CONFLICT (provider, subject) DO NOTHING
            """,
            new { login.Provider, login.Subject, userId, login.EmailVerified, now = time.GetUtcNow().ToUnixTimeMilliseconds() }, transaction);
        if (login.IsDataPass)
        {
            await connection.ExecuteAsync(
                "INSERT INTO datapass_users (id, user_id) VALUES (@Subject, @userId) ON CONFLICT DO NOTHING",
                new { login.Subject, userId }, transaction);
        }
    }

    private static async Task<IReadOnlyList<UserIdentity>> IdentitiesAsync(DbConnection connection, string userId) =>
        (await connection.QueryAsync<IdentityRow>("""
            SELECT provider AS Provider, subject AS Subject, CAST(email_verified AS INTEGER) AS Verified, created_at AS CreatedAt FROM user_identities
            WHERE user_id = @userId ORDER BY created_at, provider, subject
            """, new { userId }))
        .Select(i => new UserIdentity(i.Provider, i.Subject, i.Verified != 0, DateTimeOffset.FromUnixTimeMilliseconds(i.CreatedAt)))
        .ToArray();

    public Task<User?> GetAsync(string id, CancellationToken cancellationToken = default) =>
        QueryUserAsync("id = @value", id, cancellationToken);

    public Task<User?> FindByEmailAsync(string email, CancellationToken cancellationToken = default) =>
        QueryUserAsync("lower(email) = lower(@value)", email, cancellationToken);

    public async Task<IReadOnlyList<User>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await open(cancellationToken);
        return (await connection.QueryAsync<UserRow>($"SELECT {UserRow.Columns} FROM users ORDER BY lower(email)")).Select(r => r.ToUser()).ToArray();
    }

    public async Task<IReadOnlyList<User>> ListPageAsync(string? search, string? afterEmail, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await open(cancellationToken);
        var pattern = string.IsNullOrWhiteSpace(search) ? null : "%" + StoredValues.EscapeLike(search.ToLowerInvariant()) + "%";
        return (await connection.QueryAsync<UserRow>($"""
            SELECT {UserRow.Columns} FROM users
            WHERE (@pattern IS NULL OR lower(email) LIKE @pattern ESCAPE '\' OR lower(name) LIKE @pattern ESCAPE '\' OR id = @search)
              AND (@afterEmail IS NULL OR lower(email) > lower(@afterEmail))
            ORDER BY lower(email) LIMIT @limit
            """, new { pattern, search = search?.Trim(), afterEmail, limit }))
            .Select(r => r.ToUser()).ToArray();
    }

    public async Task<bool> SetRoleAsync(string email, string role, CancellationToken cancellationToken = default)
    {
        await using var connection = await open(cancellationToken);
        return await connection.ExecuteAsync("UPDATE users SET role = @role WHERE lower(email) = lower(@email)", new { email, role }) == 1;
    }

    public async Task SetApiTokenAsync(string userId, string protectedToken, CancellationToken cancellationToken = default)
    {
        await using var connection = await open(cancellationToken);
        await connection.ExecuteAsync("UPDATE users SET api_token = @protectedToken WHERE id = @userId", new { userId, protectedToken });
    }

    public async Task<string?> SetApiTokenIfMissingAsync(string userId, string protectedToken, CancellationToken cancellationToken = default)
    {
        await using var connection = await open(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<string?>(
            "UPDATE users SET api_token = COALESCE(api_token, @protectedToken) WHERE id = @userId RETURNING api_token",
            new { userId, protectedToken });
    }

    public async Task<bool> HasLegacyPasswordsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await open(cancellationToken);
        return await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM (SELECT 1 FROM legacy_users LIMIT 1) AS any_legacy") > 0;
    }

    public async Task<string?> GetLegacyPasswordHashAsync(string userId, CancellationToken cancellationToken = default)
    {
        await using var connection = await open(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<string?>("SELECT password_hash FROM legacy_users WHERE user_id = @userId", new { userId });
    }

    public async Task SetLegacyPasswordHashAsync(string userId, string hash, CancellationToken cancellationToken = default)
    {
        await using var connection = await open(cancellationToken);
        await connection.ExecuteAsync(
            "INSERT INTO legacy_users (user_id, password_hash) VALUES (@userId, @hash) ON CONFLICT (user_id) DO UPDATE SET password_hash = excluded.password_hash",
            new { userId, hash });
    }

    /// <summary>The one user matching <paramref name="where"/>, which names its one parameter <c>@value</c>.</summary>
    private async Task<User?> QueryUserAsync(string where, string value, CancellationToken cancellationToken)
    {
        await using var connection = await open(cancellationToken);
        return (await connection.QuerySingleOrDefaultAsync<UserRow>($"SELECT {UserRow.Columns} FROM users WHERE {where}", new { value }))?.ToUser();
    }

    /// <summary>A row of <c>user_identities</c> (a class, not a tuple: Dapper.AOT binds a class's members at build time).</summary>
    internal sealed class IdentityRow
    {
        public string Provider { get; init; } = "";
        public string Subject { get; init; } = "";
        public long Verified { get; init; }
        public long CreatedAt { get; init; }
    }
}
