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

    /// <summary>A gateway on this class's Redis and a fresh database, and the same stores as CLI arguments.</summary>
    private async Task<(GatewayApp Gateway, string[] CliSettings)> StartGatewayAsync()
    {
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Redis"] = redis.RequireServer().ConnectionString,
            ["ConnectionStrings:Postgres"] = await postgres.CreateExtraDatabaseAsync(),
            ["Gateway:Secrets:KeyFile"] = GatewayApp.SharedSecretsKeyFile,
        };
        return (GatewayApp.Start("""{ "Routes": {}, "Clusters": {} }""", settings), settings.Select(s => $"--{s.Key}={s.Value}").ToArray());
    }

    [Fact]
    public async Task Users_are_listed_and_a_role_change_updates_their_API_token_scopes()
    {
        var (gateway, cliSettings) = await StartGatewayAsync();
        await using var _ = gateway;
        var accounts = gateway.Services.GetRequiredService<UserAccounts>();
        var user = await accounts.SignInAsync(new ExternalLogin { Provider = "test", Subject = "h", Email = "hugo@acme.fr", Name = "Hugo" }, linkByEmail: false, [], Ct);
        var cli = cliSettings.Append("--Gateway:Roles:admin:Scopes:0=admin").ToArray();

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
        var (gateway, cliSettings) = await StartGatewayAsync();
        await using var _ = gateway;
        using var client = gateway.NewClient();
        var before = await client.GetStringAsync("/.well-known/jwks.json", Ct);

        var rotated = await GatewayProcess.RunAsync(TimeSpan.FromSeconds(60), ["keys", "rotate-signing", .. cliSettings]);
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
