using System.CommandLine;
using Tribuo.Gateway.Keys;
using Tribuo.Gateway.Users;

namespace Tribuo.Gateway.Cli;

/// <summary><c>users list</c>, <c>users set-role EMAIL ROLE</c>: against the server's user store.</summary>
internal static class UsersCommand
{
    public static Command Build(string[] settings)
    {
        var list = new Command("list", "List users: id, role, company, SIRET, e-mail.");
        list.SetAction((_, _) => CliHost.RunAsync(settings, ListAsync));

        var email = new Argument<string>("email") { Description = "the user's e-mail (any case)" };
        var role = new Argument<string>("role") { Description = "the new role, e.g. admin or default" };
        var setRole = new Command("set-role", "Change a user's role; their API token's scopes follow (Gateway:Roles:<role>:Scopes).") { email, role };
        setRole.SetAction((parse, _) => CliHost.RunAsync(settings, services => SetRoleAsync(services, parse.GetRequiredValue(email), parse.GetRequiredValue(role))));

        return new Command("users", "Users of the login hub.") { list, setRole };
    }

    private static async Task<int> ListAsync(IServiceProvider services)
    {
        Console.WriteLine($"{"ID",-20} {"ROLE",-10} {"COMPANY",-12} {"SIRET",-15} EMAIL");
        foreach (var listed in await services.GetRequiredService<IUserStore>().ListAsync())
        {
            Console.WriteLine($"{listed.Id,-20} {listed.Role,-10} {listed.Company ?? "-",-12} {listed.OrganizationSiret ?? "-",-15} {listed.Email}");
        }

        return 0;
    }

    private static async Task<int> SetRoleAsync(IServiceProvider services, string email, string role)
    {
        if (await services.GetRequiredService<UserAccounts>().ChangeRoleAsync(email, role, "cli") is null)
        {
            Console.Error.WriteLine($"no user with e-mail '{email}'.");
            return GatewayCli.Failed;
        }

        Console.WriteLine($"user '{email}' now has role '{role}'");
        return 0;
    }
}
