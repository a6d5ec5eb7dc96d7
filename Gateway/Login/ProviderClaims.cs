using System.Security.Claims;
using System.Text.Json;

namespace Tribuo.Gateway.Login;

/// <summary>The claims the login hub reads from a provider's ticket, whatever the provider.</summary>
internal static class ProviderClaims
{
    public const string Subject = "sub";
    public const string Email = "email";
    public const string Name = "name";
    public const string Picture = "img_url";
    public const string Company = "company";
    public const string Role = "role";
    public const string OrganizationSiret = "organization_siret";
    public const string PreferredUserId = "preferred_user_id";
    public const string EmailVerified = "email_verified";

    /// <summary>Reads an OIDC userinfo document: <c>sub, email, name</c> (or given + family name), the first organization's SIRET, and the mapped company and role.</summary>
    public static void AddFromJson(ClaimsIdentity identity, JsonElement user, ProviderOptions provider)
    {
        Add(identity, Subject, Text(user, "sub"));
        Add(identity, Email, Text(user, "email"));
        Add(identity, EmailVerified, Text(user, "email_verified"));
        var name = Text(user, "name") ?? string.Join(' ', new[] { Text(user, "given_name"), Text(user, "family_name") }.Where(n => !string.IsNullOrEmpty(n)));
        Add(identity, Name, name);
        Add(identity, Picture, Text(user, "picture"));
        if (user.TryGetProperty("organizations", out var organizations) && organizations.ValueKind == JsonValueKind.Array && organizations.GetArrayLength() > 0)
        {
            Add(identity, OrganizationSiret, Text(organizations[0], "siret"));
        }

        Add(identity, Company, provider.Company ?? (provider.CompanyClaim is { } claim ? Text(user, claim) : null));
        if (provider.RoleClaim is { } roleClaim && Text(user, roleClaim) is { } raw && provider.RoleMap.TryGetValue(raw, out var role))
        {
            Add(identity, Role, role);
        }
    }

    /// <summary>The contacts server of the same data centre: accounts.zoho.eu → contacts.zoho.eu.</summary>
    public static string ZohoThumbnailUrl(string accountsUrl, string zuid)
    {
        var host = new Uri(accountsUrl).Host;
        var contacts = host.StartsWith("accounts.", StringComparison.OrdinalIgnoreCase) ? "contacts." + host["accounts.".Length..] : host;
        return $"https://{contacts}/file?t=user&ID={Uri.EscapeDataString(zuid)}&fs=thumb";
    }

    /// <summary>
    /// Whether the provider vouches for the e-mail: every <c>email_verified</c> it sent (id_token, userinfo) is
    /// true. Zoho's account e-mail is verified by Zoho, so a Zoho answer without the claim counts as verified.
    /// </summary>
    public static bool IsEmailVerified(ClaimsPrincipal principal, ProviderOptions provider)
    {
        var stated = principal.FindAll(EmailVerified).Select(c => c.Value).ToArray();
        return stated.Length == 0 ? provider.IsZoho : stated.All(v => v.Equals("true", StringComparison.OrdinalIgnoreCase));
    }

    public static void Add(ClaimsIdentity identity, string type, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            identity.AddClaim(new Claim(type, value));
        }
    }

    private static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value)
            ? value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Number => value.GetRawText(),
                JsonValueKind.True => "true",
                JsonValueKind.False => "false",
                _ => null,
            }
            : null;
}
