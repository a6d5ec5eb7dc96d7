using System.CommandLine;
using Tribuo.Gateway.Keys;
using Tribuo.Gateway.Tokens;

namespace Tribuo.Gateway.Cli;

/// <summary>
/// <c>keys create|list|show|update|revoke|rotate|disable|enable|set-scopes|import|rotate-signing</c>, against the
/// same stores the server uses. Changes are published like the server's, so running gateways drop a revoked key
/// within a second.
/// </summary>
internal static class KeysCommand
{
    private const string Actor = "cli";

    public static Command Build(string[] settings) => new("keys", "API keys: create, list, change, revoke, import.")
    {
        Create(settings),
        List(settings),
        OnOneKey(settings, "show", "Show one key (never its secret or hash).", ShowAsync),
        Update(settings),
        OnOneKey(settings, "revoke", "Revoke a key for good; gateways refuse it within a second.",
            async (keys, id) => Done(await keys.RevokeAsync(id, Actor), "revoked")),
        OnOneKey(settings, "rotate", "Give a key a new secret (printed once); the old one stops working.",
            async (keys, id) => Issued(await keys.RotateAsync(id, Actor))),
        OnOneKey(settings, "disable", "Disable a key until it is enabled again.",
            async (keys, id) => Done(await keys.UpdateAsync(id, new KeyChanges(Disabled: true), Actor), "disabled")),
        OnOneKey(settings, "enable", "Enable a disabled key.",
            async (keys, id) => Done(await keys.UpdateAsync(id, new KeyChanges(Disabled: false), Actor), "enabled")),
        SetScopes(settings),
        Import(settings),
        RotateSigning(settings),
    };

    private static Argument<string> IdArgument() => new("id") { Description = "the key's Id" };

    private static Command OnOneKey(string[] settings, string name, string description, Func<KeyService, string, Task<int>> action)
    {
        var id = IdArgument();
        var command = new Command(name, description) { id };
        command.SetAction((parse, _) => CliHost.RunAsync(settings, services => action(services.GetRequiredService<KeyService>(), parse.GetRequiredValue(id))));
        return command;
    }

    private static Command Create(string[] settings)
    {
        var id = new Option<string>("--id") { Description = "the key's Id: letters, digits and . _ : @ -", Required = true };
        var name = new Option<string>("--name") { Description = "a name people recognise", Required = true };
        var scopes = CliValues.List("--scopes", "scopes the key holds, * for every route", required: true);
        var origins = CliValues.List("--origins", "browser origins of a site key (https://docs.tribuo.cloud)");
        var expires = CliValues.Date("--expires", "when the key stops working");
        var expiresIn = CliValues.Duration("--expires-in", "how long from now the key works");
        var userId = new Option<string>("--user-id") { Description = "tie the key to a user (it then acts as that user)" };
        var rateLimits = CliValues.RateLimits("--rate-limit", "the key's own limit across all routes");
        var command = new Command("create", "Create a key; its secret is printed once.") { id, name, scopes, origins, expires, expiresIn, userId, rateLimits };
        command.Validators.Add(result => OneOf(result, expires, expiresIn));
        command.SetAction((parse, _) => CliHost.RunAsync(settings, async services =>
        {
            var spec = new KeySpec
            {
                Id = parse.GetValue(id),
                Name = parse.GetValue(name),
                Scopes = parse.GetValue(scopes),
                Origins = parse.GetValue(origins),
                Expires = parse.GetValue(expires) ?? (DateTimeOffset.UtcNow + parse.GetValue(expiresIn)),
                UserId = parse.GetValue(userId),
                RateLimits = parse.GetValue(rateLimits),
            };
            return Issued(await services.GetRequiredService<KeyService>().CreateAsync(spec, Actor));
        }));
        return command;
    }

    private static Command List(string[] settings)
    {
        var limit = new Option<int?>("--limit") { Description = $"one page of at most this many keys (1-{KeyQuery.MaxLimit}); the next page's cursor goes to stderr" };
        limit.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is < 1 or > KeyQuery.MaxLimit)
            {
                result.AddError($"--limit: must be from 1 to {KeyQuery.MaxLimit}.");
            }
        });
        var cursor = new Option<string>("--cursor") { Description = "continue after a page (the cursor a previous page printed)" };
        var user = new Option<string>("--user") { Description = "only the keys tied to this user id" };
        var scope = new Option<string>("--scope") { Description = "only the keys holding this scope" };
        var prefix = new Option<string>("--prefix") { Description = "only the keys whose id starts with this" };
        var command = new Command("list", "List keys in id order: id, status, scopes, expiry, last use, name. All of them, page by page, unless --limit is given.")
        {
            limit, cursor, user, scope, prefix,
        };
        command.SetAction((parse, _) => CliHost.RunAsync(settings, async services =>
        {
            string? after = null;
            if (parse.GetValue(cursor) is { } text && !KeyQuery.TryReadCursor(text, out after))
            {
                Console.Error.WriteLine("--cursor: is not a cursor a listing printed.");
                return GatewayCli.UsageError;
            }

            var keys = services.GetRequiredService<KeyService>();
            var onePage = parse.GetValue(limit);
            var query = new KeyQuery(onePage ?? KeyQuery.MaxLimit, after, parse.GetValue(user), parse.GetValue(scope), parse.GetValue(prefix));
            Console.WriteLine($"{"ID",-24} {"STATUS",-9} {"SCOPES",-30} {"EXPIRES",-11} {"LAST USED",-17} NAME");
            while (true)
            {
                var page = await keys.ListPageAsync(query);
                foreach (var key in page.Keys)
                {
                    var view = KeyView.From(key);
                    Console.WriteLine($"{key.Id,-24} {view.Status,-9} {string.Join(' ', key.Scopes),-30} {key.Expires?.ToString("yyyy-MM-dd") ?? "-",-11} {key.LastUsedAt?.ToString("yyyy-MM-dd HH:mm") ?? "-",-17} {key.Name}");
                }

                if (page.Next is null || onePage is not null)
                {
                    if (page.Next is not null)
                    {
                        Console.Error.WriteLine($"next page: --cursor {page.Next}");
                    }

                    return 0;
                }

                KeyQuery.TryReadCursor(page.Next, out var next);
                query = query with { After = next };
            }
        }));
        return command;
    }

    private static Command Update(string[] settings)
    {
        var id = IdArgument();
        var name = new Option<string>("--name") { Description = "a new name" };
        var origins = CliValues.List("--origins", "the site key's browser origins, replacing the current list");
        var expires = CliValues.Date("--expires", "a new expiry");
        var expiresIn = CliValues.Duration("--expires-in", "a new expiry, counted from now");
        var noExpiry = new Option<bool>("--no-expiry") { Description = "the key never expires" };
        var rateLimits = CliValues.RateLimits("--rate-limit", "the key's own limits across all routes, replacing the current ones");
        var noRateLimits = new Option<bool>("--no-rate-limits") { Description = "remove the key's own limits (route limits still apply)" };
        var command = new Command("update", "Change a key's name, expiry, origins or rate limits; what is not given stays as it is.")
        {
            id, name, origins, expires, expiresIn, noExpiry, rateLimits, noRateLimits,
        };
        command.Validators.Add(result => OneOf(result, expires, expiresIn, noExpiry));
        command.Validators.Add(result => OneOf(result, rateLimits, noRateLimits));
        command.Validators.Add(result =>
        {
            if (new Option[] { name, origins, expires, expiresIn, noExpiry, rateLimits, noRateLimits }.All(o => result.GetResult(o) is null))
            {
                result.AddError("Nothing to change: give --name, --origins, --expires, --expires-in, --no-expiry, --rate-limit or --no-rate-limits.");
            }
        });
        command.SetAction((parse, _) => CliHost.RunAsync(settings, async services =>
        {
            var changes = new KeyChanges(
                Name: parse.GetValue(name),
                Origins: parse.GetValue(origins),
                Expires: parse.GetValue(expires) ?? (DateTimeOffset.UtcNow + parse.GetValue(expiresIn)),
                ClearExpires: parse.GetValue(noExpiry),
                RateLimits: parse.GetValue(noRateLimits) ? [] : parse.GetValue(rateLimits));
            return Done(await services.GetRequiredService<KeyService>().UpdateAsync(parse.GetRequiredValue(id), changes, Actor), "updated");
        }));
        return command;
    }

    private static Command SetScopes(string[] settings)
    {
        var id = IdArgument();
        var scopes = new Argument<string>("scopes") { Description = "the new scopes, comma-separated (replace the current ones)" };
        var command = new Command("set-scopes", "Replace a key's scopes.") { id, scopes };
        command.SetAction((parse, _) => CliHost.RunAsync(settings, async services =>
        {
            var list = parse.GetRequiredValue(scopes).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            return Done(await services.GetRequiredService<KeyService>().UpdateAsync(parse.GetRequiredValue(id), new KeyChanges(Scopes: list), Actor), "updated");
        }));
        return command;
    }

    private static Command Import(string[] settings)
    {
        var file = new Argument<FileInfo>("file") { Description = "a keys file: { \"Keys\": [ ... ] }" };
        var command = new Command("import", "Import the keys of a file whose Id is not in the store yet.") { file };
        command.SetAction((parse, _) => CliHost.RunAsync(settings, async services =>
        {
            var (contents, errors) = KeysFile.Read(parse.GetRequiredValue(file).FullName);
            if (contents is null)
            {
                errors.ForEach(Console.Error.WriteLine);
                return GatewayCli.Failed;
            }

            var import = await services.GetRequiredService<KeyService>().ImportAsync(contents, Actor);
            Console.WriteLine($"{import.Imported} imported, {import.Skipped} already known or skipped");
            foreach (var refusal in import.Refused)
            {
                Console.Error.WriteLine(refusal);
            }

            return import.Refused.Count == 0 ? 0 : GatewayCli.Failed;
        }));
        return command;
    }

    private static Command RotateSigning(string[] settings)
    {
        var command = new Command("rotate-signing", "A new key for the tokens the login hub signs; older tokens stay valid.");
        command.SetAction((_, _) => CliHost.RunAsync(settings, async services =>
        {
            var signing = services.GetRequiredService<SigningKeys>();
            await signing.LoadAsync();
            var kid = await signing.RotateAsync();
            Console.WriteLine($"new signing key '{kid}' signs from now on; tokens signed with older keys stay valid");
            return 0;
        }));
        return command;
    }

    private static void OneOf(System.CommandLine.Parsing.CommandResult result, params Option[] options)
    {
        var given = options.Where(o => result.GetResult(o) is not null).Select(o => o.Name).ToArray();
        if (given.Length > 1)
        {
            result.AddError($"{string.Join(" and ", given)} cannot be combined: give one.");
        }
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
            limits:     {string.Join(' ', key.RateLimits.Select(l => l.Text))}
            created:    {key.CreatedAt:O}
            last used:  {key.LastUsedAt?.ToString("O") ?? "-"}
            revoked:    {key.RevokedAt?.ToString("O") ?? "-"}
            """);
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
}
