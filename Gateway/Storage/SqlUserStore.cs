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

    public async Task<(User User, bool Created)> UpsertAsync(ExternalLogin login, string newUserId, string? forcedRole, CancellationToken cancellationToken = default)
    {
        await using var connection = await open(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // The conflict on the unique e-mail is what makes concurrent first logins of one person create one user.
        var row = await connection.QuerySingleAsync<UserRow>($"""
            INSERT INTO users (id, email, name, img_url, role, company, organization_siret, created_at)
            VALUES (@newUserId, @Email, @Name, @ImgUrl, COALESCE(@forcedRole, @Role, 'default'), @Company, @OrganizationSiret, @now)
            ON CONFLICT {dialect.EmailConflictTarget} DO UPDATE SET
                name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE users.name END,
                img_url = COALESCE(excluded.img_url, users.img_url),
                company = COALESCE(users.company, excluded.company),
                organization_siret = COALESCE(excluded.organization_siret, users.organization_siret),
                role = COALESCE(@forcedRole, users.role)
            RETURNING {UserRow.Columns}
            """,
            new { newUserId, login.Email, login.Name, login.ImgUrl, forcedRole, login.Role, login.Company, login.OrganizationSiret, now = dialect.Now(time.GetUtcNow()) },
            transaction);
        if (login.IsDataPass)
        {
            await connection.ExecuteAsync(
                "INSERT INTO datapass_users (id, user_id) VALUES (@Subject, @userId) ON CONFLICT (id) DO NOTHING",
                new { login.Subject, userId = row.id }, transaction);
        }

        await transaction.CommitAsync(cancellationToken);
        return (row.ToUser(), row.id == newUserId);
    }

    public Task<User?> GetAsync(string id, CancellationToken cancellationToken = default) =>
        QueryUserAsync("id = @id", new { id }, cancellationToken);

    public Task<User?> FindByEmailAsync(string email, CancellationToken cancellationToken = default) =>
        QueryUserAsync("lower(email) = lower(@email)", new { email }, cancellationToken);

    public async Task<IReadOnlyList<User>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await open(cancellationToken);
        return (await connection.QueryAsync<UserRow>($"SELECT {UserRow.Columns} FROM users ORDER BY lower(email)")).Select(r => r.ToUser()).ToArray();
    }

    public async Task<bool> SetRoleAsync(string email, string role, CancellationToken cancellationToken = default)
    {
        await using var connection = await open(cancellationToken);
        return await connection.ExecuteAsync("UPDATE users SET role = @role WHERE lower(email) = lower(@email)", new { email, role }) == 1;
    }

    public async Task<string?> SetApiTokenIfMissingAsync(string userId, string protectedToken, CancellationToken cancellationToken = default)
    {
        await using var connection = await open(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<string?>(
            "UPDATE users SET api_token = COALESCE(api_token, @protectedToken) WHERE id = @userId RETURNING api_token",
            new { userId, protectedToken });
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

    private async Task<User?> QueryUserAsync(string where, object parameters, CancellationToken cancellationToken)
    {
        await using var connection = await open(cancellationToken);
        return (await connection.QuerySingleOrDefaultAsync<UserRow>($"SELECT {UserRow.Columns} FROM users WHERE {where}", parameters))?.ToUser();
    }
}
