namespace Tribuo.Gateway.Users;

/// <summary>The <c>users</c> row as both backends return it (times as Unix ms on SQLite, timestamptz on PostgreSQL).</summary>
internal sealed class UserRow
{
    public string id { get; init; } = "";
    public string email { get; init; } = "";
    public string name { get; init; } = "";
    public string? img_url { get; init; }
    public string role { get; init; } = UserRoles.Default;
    public string? company { get; init; }
    public string? organization_siret { get; init; }
    public string? api_token { get; init; }
    public object? created_at { get; init; }

    public const string Columns = "id, email, name, img_url, role, company, organization_siret, api_token, created_at";

    public User ToUser() => new()
    {
        Id = id,
        Email = email,
        Name = name,
        ImgUrl = img_url,
        Role = role,
        Company = company,
        OrganizationSiret = organization_siret,
        ApiTokenProtected = api_token,
        CreatedAt = Storage.StoredValues.FromDatabaseTime(created_at),
    };
}
