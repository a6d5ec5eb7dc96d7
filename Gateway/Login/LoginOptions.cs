namespace Tribuo.Gateway.Login;

/// <summary><c>Gateway:Login</c>.</summary>
internal sealed class LoginOptions
{
    /// <summary>Origins tokens may be sent to (<c>https://docs.tribuo.cloud</c>); empty: every origin refused.</summary>
    public List<string> AllowedOrigins { get; set; } = [];

    /// <summary>
    /// Allowed origins that asked for the DataPass-style hand-off: <c>organization_siret, email, role,
    /// api_token</c> as query parameters instead of <c>?token=</c>.
    /// </summary>
    public List<string> QueryHandoffOrigins { get; set; } = [];

    /// <summary>E-mails that get role <c>admin</c> at login.</summary>
    public List<string> Admins { get; set; } = [];

    /// <summary>
    /// Whether the e-mail + password form for pre-SSO accounts is offered: <c>true</c> or <c>false</c>; unset, it
    /// is offered only while the store holds legacy password hashes.
    /// </summary>
    public bool? LegacyPasswords { get; set; }

    /// <summary>Failed password attempts allowed per account and per client address in <see cref="PasswordFailureWindow"/>.</summary>
    public int PasswordFailureLimit { get; set; } = 5;

    public TimeSpan PasswordFailureWindow { get; set; } = TimeSpan.FromMinutes(15);

    public Dictionary<string, ProviderOptions> Providers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    public ProviderOptions? Find(string name) =>
        Providers.FirstOrDefault(p => p.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;

    public const string Section = "Gateway:Login";

    /// <summary>
    /// <c>Gateway:Login</c>: an unknown key is an error; the lists may be written indexed (<c>AllowedOrigins:0</c>) or as
    /// one comma-separated value (<c>AllowedOrigins=https://a.test,https://b.test</c>); counts and windows held to their range.
    /// </summary>
    public static LoginOptions Read(IConfiguration configuration)
    {
        var options = Hosting.SettingValues.Bind(configuration, Section, s => s.Get<LoginOptions>(), "AllowedOrigins", "QueryHandoffOrigins", "Admins");
        options.AllowedOrigins = Hosting.SettingValues.List(configuration, $"{Section}:AllowedOrigins");
        options.QueryHandoffOrigins = Hosting.SettingValues.List(configuration, $"{Section}:QueryHandoffOrigins");
        options.Admins = Hosting.SettingValues.List(configuration, $"{Section}:Admins");
        Hosting.SettingValues.Range($"{Section}:PasswordFailureLimit", options.PasswordFailureLimit, 1, 1000);
        Hosting.SettingValues.Range($"{Section}:PasswordFailureWindow", options.PasswordFailureWindow, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1));
        if (options.Admins.FirstOrDefault(a => !a.Contains('@') || a.Any(char.IsWhiteSpace)) is { } admin)
        {
            throw new InvalidOperationException($"{Section}:Admins: '{admin}' is not an e-mail address.");
        }

        foreach (var (name, provider) in options.Providers)
        {
            provider.Name = name;
        }

        return options;
    }
}

/// <summary><c>Gateway:Login:Providers:&lt;name&gt;</c>: one identity provider.</summary>
internal sealed class ProviderOptions
{
    /// <summary><c>oidc</c> or <c>zoho</c>.</summary>
    public string Type { get; set; } = "oidc";

    /// <summary>The button's label; default: the provider's name.</summary>
    public string? DisplayName { get; set; }

    /// <summary>OIDC: the issuer, whose <c>/.well-known/openid-configuration</c> is read.</summary>
    public string? Authority { get; set; }

    /// <summary>Zoho: the accounts server of the data centre (<c>https://accounts.zoho.eu</c>).</summary>
    public string? AccountsUrl { get; set; }

    public string? ClientId { get; set; }
    public string? ClientSecret { get; set; }

    /// <summary>Space-separated; OIDC default <c>openid email profile</c>.</summary>
    public string? Scopes { get; set; }

    /// <summary><c>client_secret_basic</c> or <c>client_secret_post</c>; default: what discovery says, basic first.</summary>
    public string? ClientAuthentication { get; set; }

    /// <summary>A fixed company for every user of this provider (e.g. <c>tribuo</c> for Zoho).</summary>
    public string? Company { get; set; }

    /// <summary>A claim (userinfo or id_token) whose value is the user's company, when not fixed.</summary>
    public string? CompanyClaim { get; set; }

    /// <summary>A claim whose value, looked up in <see cref="RoleMap"/>, gives the role of a new user.</summary>
    public string? RoleClaim { get; set; }

    public Dictionary<string, string> RoleMap { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// True for DataPass / api.gouv.fr accounts: users are marked in <c>datapass_users</c>, their organization's SIRET
    /// is read. Unset, a provider is DataPass when it is named <c>datapass</c> or its authority is on <c>api.gouv.fr</c>
    /// (the contract names no such setting, so a deployment that only configures the provider gets DataPass's behaviour).
    /// </summary>
    public bool? DataPass { get; set; }

    /// <summary>The provider's name (its key under <c>Gateway:Login:Providers</c>), set after binding.</summary>
    public string Name { get; internal set; } = "";

    public bool IsDataPass => DataPass ?? (Name.Equals("datapass", StringComparison.OrdinalIgnoreCase) || AuthorityIsApiGouv);

    private bool AuthorityIsApiGouv =>
        Uri.TryCreate(Authority, UriKind.Absolute, out var authority)
        && (authority.Host.Equals("api.gouv.fr", StringComparison.OrdinalIgnoreCase) || authority.Host.EndsWith(".api.gouv.fr", StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Whether a first login whose verified e-mail belongs to an existing user is linked to that user (DESIGN §5);
    /// default on for Zoho and DataPass providers, off for other OIDC providers.
    /// </summary>
    public bool? LinkByEmail { get; set; }

    public bool LinksByEmail => LinkByEmail ?? (IsZoho || IsDataPass);

    public bool IsZoho => Type.Equals("zoho", StringComparison.OrdinalIgnoreCase);

    /// <summary>Where discovery is read: the OIDC authority, or Zoho's accounts server.</summary>
    public string? IssuerUrl => IsZoho ? AccountsUrl : Authority;
}
