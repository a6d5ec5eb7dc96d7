using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Tribuo.Gateway.Keys;
using Tribuo.Gateway.Tests.Infrastructure;
using Tribuo.Gateway.Users;
using Xunit;

namespace Tribuo.Gateway.Tests.Login;

public sealed class UsersCliTests(RedisFixture redis, PostgresFixture postgres) : IClassFixture<RedisFixture>, IClassFixture<PostgresFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Users_are_listed_and_a_role_change_updates_their_API_token_scopes()
    {
        var database = await postgres.CreateExtraDatabaseAsync();
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Redis"] = redis.RequireServer().ConnectionString,
            ["ConnectionStrings:Postgres"] = database,
        };
        await using var gateway = GatewayApp.Start("""{ "Routes": {}, "Clusters": {} }""", settings);
        var accounts = gateway.Services.GetRequiredService<UserAccounts>();
        var user = await accounts.SignInAsync(new ExternalLogin { Provider = "test", Subject = "h", Email = "hugo@acme.fr", Name = "Hugo" }, [], Ct);
        var cli = settings.Select(s => $"--{s.Key}={s.Value}").Append("--Gateway:Roles:admin:Scopes:0=admin").ToArray();

        var listed = await GatewayProcess.RunAsync(TimeSpan.FromSeconds(60), ["users", "list", .. cli]);
        Assert.Equal(0, listed.ExitCode);
        Assert.Contains("hugo@acme.fr", listed.Output);
        Assert.Contains(user.Id, listed.Output);

        var changed = await GatewayProcess.RunAsync(TimeSpan.FromSeconds(60), ["users", "set-role", "HUGO@acme.fr", "admin", .. cli]);
        Assert.Equal(0, changed.ExitCode);
        Assert.Equal("admin", (await gateway.Services.GetRequiredService<IUserStore>().FindByEmailAsync("hugo@acme.fr", Ct))!.Role);
        Assert.Equal(["admin"], (await gateway.Services.GetRequiredService<IKeyStore>().GetAsync(UserAccounts.KeyIdFor(user.Id), Ct))!.Scopes);

        var missing = await GatewayProcess.RunAsync(TimeSpan.FromSeconds(60), ["users", "set-role", "nobody@acme.fr", "admin", .. cli]);
        Assert.Equal(1, missing.ExitCode);
    }

    [Fact]
    public async Task Rotating_the_signing_key_from_the_CLI_reaches_a_running_gateway()
    {
        var database = await postgres.CreateExtraDatabaseAsync();
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Redis"] = redis.RequireServer().ConnectionString,
            ["ConnectionStrings:Postgres"] = database,
        };
        await using var gateway = GatewayApp.Start("""{ "Routes": {}, "Clusters": {} }""", settings);
        using var client = gateway.NewClient();
        var before = await client.GetStringAsync("/.well-known/jwks.json", Ct);

        var rotated = await GatewayProcess.RunAsync(TimeSpan.FromSeconds(60), ["keys", "rotate-signing", .. settings.Select(s => $"--{s.Key}={s.Value}")]);
        Assert.Equal(0, rotated.ExitCode);
        var kid = rotated.Output.Split('\'')[1];
        Assert.DoesNotContain(kid, before);

        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!(await client.GetStringAsync("/.well-known/jwks.json", Ct)).Contains(kid))
        {
            Assert.True(DateTime.UtcNow < deadline, "the running gateway did not pick up the new signing key");
            await Task.Delay(50, Ct);
        }
    }
}
