using Tribuo.Gateway.Keys;
using Tribuo.Gateway.Tokens;

namespace Tribuo.Gateway.Cli;

/// <summary>
/// <c>keys create|list|show|revoke|rotate|disable|enable|set-scopes|import</c>, against the same stores the
/// server uses (configuration from appsettings, environment, and <c>--Section:Key=value</c> arguments).
/// Changes are published like the server's, so running gateways drop a revoked key within a second.
/// </summary>
internal static class KeysCommand
{
    private const string UsageText = """
        usage: keys create --id ID --name NAME --scopes a,b [--expires 2027-01-01] [--origins https://x,https://y] [--user-id U]
               keys list | show ID | revoke ID | rotate ID | disable ID | enable ID | set-scopes ID a,b | import FILE
               keys rotate-signing   (a new key for the tokens the login hub signs)
        """;

    private const string Actor = "cli";

    public static async Task<int> RunAsync(string[] args)
    {
        var (settings, words) = CliHost.SplitSettings(args);
        if (words.Length == 0)
        {
            return GatewayCli.Usage(UsageText);
        }

        await using var app = CliHost.Build(settings);
        await using var audit = CliHost.DrainAuditOnExit(app);
        var keys = app.Services.GetRequiredService<KeyService>();
        try
        {
            return words[0].ToLowerInvariant() switch
            {
                "create" => await CreateAsync(keys, Options(words[1..])),
                "list" => await ListAsync(keys),
                "show" when words.Length == 2 => await ShowAsync(keys, words[1]),
                "revoke" when words.Length == 2 => Done(await keys.RevokeAsync(words[1], Actor), "revoked"),
                "rotate" when words.Length == 2 => Issued(await keys.RotateAsync(words[1], Actor)),
                "disable" when words.Length == 2 => Done(await keys.UpdateAsync(words[1], new KeyChanges(Disabled: true), Actor), "disabled"),
                "enable" when words.Length == 2 => Done(await keys.UpdateAsync(words[1], new KeyChanges(Disabled: false), Actor), "enabled"),
                "set-scopes" when words.Length == 3 => Done(await keys.UpdateAsync(words[1], new KeyChanges(Scopes: List(words[2])), Actor), "updated"),
                "import" when words.Length == 2 => await ImportAsync(keys, words[1]),
                "rotate-signing" when words.Length == 1 => await RotateSigningAsync(app.Services.GetRequiredService<SigningKeys>()),
                _ => GatewayCli.Usage(UsageText),
            };
        }
        catch (Exception ex) when (ex is KeyOperationException or KeyNotFoundException or FormatException)
        {
            Console.Error.WriteLine(ex.Message);
            return 1;
        }
    }

    private static async Task<int> CreateAsync(KeyService keys, Dictionary<string, string> options)
    {
        var spec = new KeySpec
        {
            Id = options.GetValueOrDefault("id"),
            Name = options.GetValueOrDefault("name"),
            Scopes = options.TryGetValue("scopes", out var scopes) ? List(scopes) : null,
            Origins = options.TryGetValue("origins", out var origins) ? List(origins) : null,
            Expires = options.TryGetValue("expires", out var expires) ? DateTimeOffset.Parse(expires, System.Globalization.CultureInfo.InvariantCulture) : null,
            UserId = options.GetValueOrDefault("user-id"),
        };
        return Issued(await keys.CreateAsync(spec, Actor));
    }

    private static async Task<int> ListAsync(KeyService keys)
    {
        Console.WriteLine($"{"ID",-24} {"STATUS",-9} {"SCOPES",-30} {"EXPIRES",-11} {"LAST USED",-17} NAME");
        foreach (var key in await keys.ListAsync())
        {
            var view = KeyView.From(key);
            Console.WriteLine($"{key.Id,-24} {view.Status,-9} {string.Join(' ', key.Scopes),-30} {key.Expires?.ToString("yyyy-MM-dd") ?? "-",-11} {key.LastUsedAt?.ToString("yyyy-MM-dd HH:mm") ?? "-",-17} {key.Name}");
        }

        return 0;
    }

    private static async Task<int> ShowAsync(KeyService keys, string id)
    {
        var key = await keys.GetAsync(id) ?? throw new KeyNotFoundException($"key '{id}' does not exist.");
        var view = KeyView.From(key);
        Console.WriteLine($"""
            id:         {key.Id}
            name:       {key.Name}
            status:     {view.Status}
            scopes:     {string.Join(' ', key.Scopes)}
            origins:    {string.Join(' ', key.Origins)}
            expires:    {key.Expires?.ToString("O") ?? "-"}
            user:       {key.UserId ?? "-"}
            created:    {key.CreatedAt:O}
            last used:  {key.LastUsedAt?.ToString("O") ?? "-"}
            revoked:    {key.RevokedAt?.ToString("O") ?? "-"}
            """);
        return 0;
    }

    private static async Task<int> RotateSigningAsync(SigningKeys signing)
    {
        await signing.LoadAsync();
        var kid = await signing.RotateAsync();
        Console.WriteLine($"new signing key '{kid}' signs from now on; tokens signed with older keys stay valid");
        return 0;
    }

    private static async Task<int> ImportAsync(KeyService keys, string path)
    {
        var (file, errors) = KeysFile.Read(Path.GetFullPath(path));
        if (file is null)
        {
            errors.ForEach(Console.Error.WriteLine);
            return 1;
        }

        var (imported, skipped) = await keys.ImportAsync(file, Actor);
        Console.WriteLine($"{imported} imported, {skipped} already known or skipped");
        return 0;
    }

    private static int Issued(IssuedKey issued)
    {
        Console.Error.WriteLine($"Key '{issued.Key.Id}' issued. The secret is shown this once; store it now:");
        Console.WriteLine(issued.Secret);
        return 0;
    }

    private static int Done(KeyRecord key, string what)
    {
        Console.WriteLine($"key '{key.Id}' {what}");
        return 0;
    }

    private static string[] List(string commaSeparated) =>
        commaSeparated.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static Dictionary<string, string> Options(string[] words)
    {
        var options = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i + 1 < words.Length; i += 2)
        {
            if (!words[i].StartsWith("--", StringComparison.Ordinal))
            {
                throw new FormatException($"expected an option such as --id, found '{words[i]}'");
            }

            options[words[i][2..]] = words[i + 1];
        }

        return options;
    }
}
