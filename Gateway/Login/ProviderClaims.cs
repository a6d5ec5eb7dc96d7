using System.Security.Claims;
using System.Text.Json;

namespace Tribuo.Gateway.Login;

/// <summary>
/// The claims the login hub reads from a provider's ticket, whatever the provider. They are the gateway's own
/// reading of the id_token and userinfo, kept in an identity of their own (<see cref="IdentityType"/>) next to the
/// handler's: a provider's claims stay in the handler's identity under their own names, so an id_token that says
/// <c>role: admin</c>, <c>company</c> or <c>preferred_user_id</c> can never be taken for a value the gateway derived.
/// </summary>
internal static class ProviderClaims
{
    /// <summary>The authentication type of the identity holding the gateway's values; only the gateway adds one.</summary>
    public const string IdentityType = "Tribuo.Gateway.Login";

    public const string Subject = "sub";
    public const string Email = "email";
    public const string Name = "name";
    public const string Picture = "img_url";
    public const string Company = "company";
    public const string Role = "role";
    public const string OrganizationSiret = "organization_siret";
    public const string PreferredUserId = "preferred_user_id";
    public const string EmailVerified = "email_verified";

    /// <summary>The gateway's identity in <paramref name="principal"/>, added on first use.</summary>
    public static ClaimsIdentity Derived(ClaimsPrincipal principal)
    {
        if (Find(principal) is { } derived)
        {
            return derived;
        }

        derived = new ClaimsIdentity(IdentityType);
        principal.AddIdentity(derived);
        return derived;
    }

    /// <summary>The gateway's identity, or null when the gateway derived nothing for this principal.</summary>
    public static ClaimsIdentity? Find(ClaimsPrincipal principal) =>
        principal.Identities.SingleOrDefault(i => i.AuthenticationType == IdentityType);

    /// <summary>
    /// Reads an id_token's payload or a userinfo document: <c>sub, email, email_verified, name</c> (or given + family
    /// name), <c>picture</c>, for DataPass providers the first organization's SIRET, and the company (the fixed one,
    /// else <c>CompanyClaim</c>) and the role mapped through <c>RoleClaim</c> + <c>RoleMap</c>. Nothing else: the
    /// provider's own <c>role</c>, <c>company</c>, <c>img_url</c>, <c>organization_siret</c> or
    /// <c>preferred_user_id</c> mean nothing here.
    /// </summary>
    public static void AddFromJson(ClaimsIdentity identity, JsonElement user, ProviderOptions provider)
    {
        Add(identity, Subject, Text(user, "sub"));
        Add(identity, Email, Text(user, "email"));
        Add(identity, EmailVerified, Text(user, "email_verified"));
        var name = Text(user, "name") ?? string.Join(' ', new[] { Text(user, "given_name"), Text(user, "family_name") }.Where(n => !string.IsNullOrEmpty(n)));
        Add(identity, Name, name);
        Add(identity, Picture, Text(user, "picture"));
        if (provider.IsDataPass && user.TryGetProperty("organizations", out var organizations) && organizations.ValueKind == JsonValueKind.Array && organizations.GetArrayLength() > 0)
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
        var stated = (Find(principal)?.FindAll(EmailVerified) ?? []).Select(c => c.Value).ToArray();
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
