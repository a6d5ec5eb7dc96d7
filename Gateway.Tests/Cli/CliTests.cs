using System.CommandLine;
using Tribuo.Gateway.Cli;
using Tribuo.Gateway.Tests.Infrastructure;
using Xunit;

namespace Tribuo.Gateway.Tests.Cli;

/// <summary>The command line as operators meet it: help, typos, typed options, and <c>keys update</c>.</summary>
public sealed class CliTests
{
    private static readonly TimeSpan ProcessTimeout = TimeSpan.FromSeconds(60);

    private static string NewDataDir() => $"--Gateway:DataDir={Directory.CreateTempSubdirectory("tgw-cli-").FullName}";

    [Fact]
    public async Task Help_lists_the_verbs_and_exits_0_without_starting_a_server()
    {
        var help = await GatewayProcess.RunAsync(ProcessTimeout, "--help");

        Assert.Equal(0, help.ExitCode);
        Assert.Contains("routes", help.Output);
        Assert.Contains("keys", help.Output);
        Assert.Contains("users", help.Output);
        Assert.DoesNotContain("Now listening", help.Output);
    }

    public static TheoryData<string> EveryCommand()
    {
        var data = new TheoryData<string>();
        void Walk(Command command, string path)
        {
            foreach (var sub in command.Subcommands)
            {
                var subPath = (path + " " + sub.Name).Trim();
                data.Add(subPath);
                Walk(sub, subPath);
            }
        }

        Walk(GatewayCli.BuildRoot([]), "");
        return data;
    }

    [Theory]
    [MemberData(nameof(EveryCommand))]
    public async Task Every_verb_and_sub_verb_has_help(string command)
    {
        var output = new StringWriter();
        var exitCode = await GatewayCli.BuildRoot([]).Parse([.. command.Split(' '), "--help"]).InvokeAsync(new InvocationConfiguration { Output = output }, TestContext.Current.CancellationToken);

        Assert.Equal(0, exitCode);
        Assert.Contains("Usage:", output.ToString());
    }

    [Fact]
    public async Task An_unknown_option_is_refused_with_a_suggestion_and_nothing_is_created()
    {
        var dataDir = NewDataDir();
        var typo = await GatewayProcess.RunAsync(ProcessTimeout, "keys", "create", "--id", "site", "--name", "Site", "--scopes", "docs:read", "--origin", "https://docs.tribuo.cloud", dataDir);

        Assert.Equal(2, typo.ExitCode);
        Assert.Contains("--origin", typo.Error);
        Assert.Contains("Did you mean", typo.Output + typo.Error);
        Assert.Contains("--origins", typo.Output);

        var shown = await GatewayProcess.RunAsync(ProcessTimeout, "keys", "show", "site", dataDir);
        Assert.Equal(1, shown.ExitCode);
        Assert.Contains("does not exist", shown.Error);
    }

    /// <summary>An outside review: with PostgreSQL down, the CLI printed a stack trace.</summary>
    [Fact]
    public async Task A_store_that_cannot_be_reached_is_a_sentence_and_exit_1_not_a_stack_trace()
    {
        var keyFile = Path.Combine(Directory.CreateTempSubdirectory("tgw-cli-kek-").FullName, "secrets.key");
        File.WriteAllText(keyFile, Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));

        var result = await GatewayProcess.RunAsync(ProcessTimeout, "users", "list", NewDataDir(),
            "--ConnectionStrings:Postgres=Host=127.0.0.1;Port=1;Username=tribuo;Password=unused;Database=tribuo;Timeout=2", $"--Gateway:Secrets:KeyFile={keyFile}");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("cannot be reached", result.Error);
        Assert.DoesNotContain("   at ", result.Error + result.Output);
        Assert.DoesNotContain("unused", result.Error + result.Output);
    }

    [Fact]
    public async Task An_unknown_verb_is_refused_with_a_suggestion()
    {
        var typo = await GatewayProcess.RunAsync(ProcessTimeout, "kyes", "list");

        Assert.Equal(2, typo.ExitCode);
        Assert.Contains("keys", typo.Output);
        Assert.Contains("'kyes'", typo.Error);
    }

    [Theory]
    [InlineData("--expires", "2027-13-01", "is not a date")]
    [InlineData("--expires", "tomorrow", "is not a date")]
    [InlineData("--expires-in", "15x", "is not a duration")]
    [InlineData("--expires-in", "-3d", "is not a duration")]
    [InlineData("--rate-limit", "100/1y", "is not a rate limit")]
    public async Task Typed_options_refuse_bad_values_readably(string option, string value, string expected)
    {
        var bad = await GatewayProcess.RunAsync(ProcessTimeout, "keys", "create", "--id", "k", "--name", "K", "--scopes", "api", option, value, NewDataDir());

        Assert.Equal(2, bad.ExitCode);
        Assert.Contains($"{option}: '{value}' {expected}", bad.Error);
        Assert.DoesNotContain("   at ", bad.Error);
    }

    /// <summary>An outside tester: a Unicode origin was stored, then the gateway threw writing it into a response (a 500).</summary>
    [Fact]
    public async Task Keys_create_and_update_refuse_a_non_ASCII_origin_and_name_its_ASCII_form()
    {
        var dataDir = NewDataDir();
        var created = await GatewayProcess.RunAsync(ProcessTimeout, "keys", "create", "--id", "idn", "--name", "I", "--scopes", "api", "--origins", "https://bücher.example", dataDir);
        Assert.Equal(1, created.ExitCode);
        Assert.Contains("Origins: 'https://bücher.example' is not an origin", created.Error);
        Assert.Contains("ASCII form: https://xn--bcher-kva.example", created.Error);

        Assert.Equal(0, (await GatewayProcess.RunAsync(ProcessTimeout, "keys", "create", "--id", "idn", "--name", "I", "--scopes", "api", "--origins", "https://xn--bcher-kva.example", dataDir)).ExitCode);
        var updated = await GatewayProcess.RunAsync(ProcessTimeout, "keys", "update", "idn", "--origins", "https://bücher.example", dataDir);
        Assert.Equal(1, updated.ExitCode);
        Assert.Contains("Origins: 'https://bücher.example' is not an origin", updated.Error);
        Assert.Contains("origins:    https://xn--bcher-kva.example", (await GatewayProcess.RunAsync(ProcessTimeout, "keys", "show", "idn", dataDir)).Output);
    }

    [Fact]
    public async Task Keys_update_changes_name_origins_and_expiry_and_no_expiry_clears_it()
    {
        var dataDir = NewDataDir();
        Assert.Equal(0, (await GatewayProcess.RunAsync(ProcessTimeout, "keys", "create", "--id", "site", "--name", "Site", "--scopes", "docs:read", "--scopes", "api", "--expires-in", "30d", dataDir)).ExitCode);

        var updated = await GatewayProcess.RunAsync(ProcessTimeout, "keys", "update", "site", "--name", "Docs site", "--origins", "https://docs.tribuo.cloud,http://localhost:3000", "--expires", "2099-01-01", "--rate-limit", "100/1s", "--rate-limit", "100000/1d", dataDir);
        Assert.Equal(0, updated.ExitCode);
        var shown = (await GatewayProcess.RunAsync(ProcessTimeout, "keys", "show", "site", dataDir)).Output;
        Assert.Contains("Docs site", shown);
        Assert.Contains("https://docs.tribuo.cloud http://localhost:3000", shown);
        Assert.Contains("scopes:     docs:read api", shown);
        Assert.Contains("2099-01-01", shown);
        Assert.Contains("limits:     100/1s 100000/1d", shown);

        Assert.Equal(0, (await GatewayProcess.RunAsync(ProcessTimeout, "keys", "update", "site", "--no-expiry", dataDir)).ExitCode);
        Assert.Contains("expires:    -", (await GatewayProcess.RunAsync(ProcessTimeout, "keys", "show", "site", dataDir)).Output);

        var both = await GatewayProcess.RunAsync(ProcessTimeout, "keys", "update", "site", "--no-expiry", "--expires-in", "1d", dataDir);
        Assert.Equal(2, both.ExitCode);
        Assert.Contains("cannot be combined", both.Error);
    }

    /// <summary>An outside review: <c>keys update</c>, <c>enable</c> and <c>disable</c> of a revoked key said "updated".</summary>
    [Fact]
    public async Task Keys_update_enable_and_rotate_refuse_a_revoked_key()
    {
        var dataDir = NewDataDir();
        Assert.Equal(0, (await GatewayProcess.RunAsync(ProcessTimeout, "keys", "create", "--id", "old", "--name", "Old", "--scopes", "api", dataDir)).ExitCode);
        Assert.Equal(0, (await GatewayProcess.RunAsync(ProcessTimeout, "keys", "revoke", "old", dataDir)).ExitCode);

        foreach (var verb in new[] { new[] { "update", "old", "--name", "New" }, ["enable", "old"], ["disable", "old"], ["rotate", "old"] })
        {
            var refused = await GatewayProcess.RunAsync(ProcessTimeout, ["keys", .. verb, dataDir]);
            Assert.Equal(1, refused.ExitCode);
            Assert.Contains("key 'old' is revoked", refused.Error);
        }

        var shown = (await GatewayProcess.RunAsync(ProcessTimeout, "keys", "show", "old", dataDir)).Output;
        Assert.Contains("Old", shown);
        Assert.DoesNotContain("New", shown);
    }
}
