namespace Tribuo.Gateway.Tokens;

/// <summary><c>Gateway:Tokens</c>: the JWTs the gateway signs for people who logged in.</summary>
internal sealed class TokenOptions
{
    /// <summary><c>iss</c>. Default: <c>Gateway:PublicUrl</c>, else <c>urn:tribuo:gateway</c> (stable across hosts and instances).</summary>
    public string? Issuer { get; set; }

    /// <summary><c>aud</c> of user tokens.</summary>
    public string Audience { get; set; } = "tribuo";

    /// <summary>How long a token is valid (the sites' existing tokens lived 14 days).</summary>
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromDays(14);

    /// <summary>Lifetime of the <c>X-Tribuo-Assertion</c> sent to upstreams (at most 60 s).</summary>
    public TimeSpan AssertionLifetime { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Accepted clock difference when checking <c>exp</c>/<c>nbf</c> (at most 30 s).</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);

    public const string Algorithm = "ES256";

    /// <summary>The <c>typ</c> of the tokens people log in with.</summary>
    public const string UserTokenType = "JWT";

    /// <summary>The <c>typ</c> of <c>X-Tribuo-Assertion</c> (DESIGN §5), so that an assertion is never taken for a login.</summary>
    public const string AssertionType = "tribuo-assertion+jwt";

    public const string Section = "Gateway:Tokens";

    /// <summary><c>Gateway:Tokens</c>, every value held to its range; the issuer defaults to <c>Gateway:PublicUrl</c>.</summary>
    public static TokenOptions Read(IConfiguration configuration)
    {
        var options = Hosting.SettingValues.Bind(configuration, Section, s => s.Get<TokenOptions>());
        Hosting.SettingValues.Range($"{Section}:Lifetime", options.Lifetime, TimeSpan.FromMinutes(1), TimeSpan.FromDays(365));
        Hosting.SettingValues.Range($"{Section}:AssertionLifetime", options.AssertionLifetime, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));
        if (string.IsNullOrWhiteSpace(options.Audience))
        {
            throw new InvalidOperationException($"{Section}:Audience: must not be empty.");
        }

        if (options.Issuer is not null && string.IsNullOrWhiteSpace(options.Issuer))
        {
            throw new InvalidOperationException($"{Section}:Issuer: must not be empty (leave it unset for the default).");
        }

        options.Issuer ??= Hosting.PublicUrl.Read(configuration) ?? "urn:tribuo:gateway";
        return options;
    }
}
