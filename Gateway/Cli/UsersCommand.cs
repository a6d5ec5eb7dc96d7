using Tribuo.Gateway.Keys;
using Tribuo.Gateway.Users;

namespace Tribuo.Gateway.Cli;

/// <summary><c>users list</c>, <c>users set-role EMAIL ROLE</c>: against the server's user store.</summary>
internal static class UsersCommand
{
    private const string UsageText = "usage: users list | users set-role <email> <role>";

    public static async Task<int> RunAsync(string[] args)
    {
        var (settings, words) = CliHost.SplitSettings(args);
        await using var app = CliHost.Build(settings);
        await using var audit = CliHost.DrainAuditOnExit(app);
        var users = app.Services.GetRequiredService<IUserStore>();
        switch (words)
        {
            case ["list"]:
                Console.WriteLine($"{"ID",-20} {"ROLE",-10} {"COMPANY",-12} {"SIRET",-15} EMAIL");
                foreach (var listed in await users.ListAsync())
                {
                    Console.WriteLine($"{listed.Id,-20} {listed.Role,-10} {listed.Company ?? "-",-12} {listed.OrganizationSiret ?? "-",-15} {listed.Email}");
                }

                return 0;

            case ["set-role", var email, var role]:
                if (!await users.SetRoleAsync(email, role))
                {
                    Console.Error.WriteLine($"no user with e-mail '{email}'.");
                    return 1;
                }

                // The user's API token follows the role's scopes; existing sessions keep their role claim until they expire.
                var user = (await users.FindByEmailAsync(email))!;
                var keys = app.Services.GetRequiredService<KeyService>();
                if (await keys.GetAsync(UserAccounts.KeyIdFor(user.Id)) is not null)
                {
                    await keys.UpdateAsync(UserAccounts.KeyIdFor(user.Id), new KeyChanges(Scopes: app.Services.GetRequiredService<RoleScopes>().For(role)), "cli");
                }

                Console.WriteLine($"user '{email}' now has role '{role}'");
                return 0;

            default:
                return GatewayCli.Usage(UsageText);
        }
    }
}
