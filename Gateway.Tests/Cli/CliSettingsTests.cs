using Tribuo.Gateway.Tests.Infrastructure;
using Xunit;

namespace Tribuo.Gateway.Tests.Cli;

/// <summary>
/// A setting the server would refuse stops every verb the same way: the server's paragraph naming it and exit 2. An
/// outside tester saw the key verbs crash with a stack trace (exit 1) and the other verbs ignore the value (exit 0).
/// </summary>
public sealed class CliSettingsTests
{
    private static readonly TimeSpan ProcessTimeout = TimeSpan.FromSeconds(60);

    private static (string Directory, string[] Settings) Isolated()
    {
        var directory = Directory.CreateTempSubdirectory("tgw-cli-settings-").FullName;
        File.WriteAllText(Path.Combine(directory, "routes.json"), """{ "Routes": {}, "Clusters": {} }""");
        return (directory, [$"--Gateway:DataDir={directory}", $"--Gateway:RoutesFile={Path.Combine(directory, "routes.json")}"]);
    }

    [Theory]
    [InlineData("keys list", "--Gateway:Keys:RevalidateAfter=15s", "Gateway:Keys:RevalidateAfter", "'15s'")]
    [InlineData("keys list", "--Gateway:Keys:CacheSiz=1", "Gateway:Keys:CacheSiz", "not a setting")]
    [InlineData("keys list", "--ConnectionStrings:Redis=127.0.0.1:abc", "ConnectionStrings:Redis", "'127.0.0.1:abc'")]
    [InlineData("keys show admin", "--ConnectionStrings:Redis=127.0.0.1:6379,password=hun,ter2,bogus=1", "ConnectionStrings:Redis", "after password=")]
    [InlineData("keys list", "--Gateway:Console:EditRoutes=yes", "Gateway:Console:EditRoutes", "'yes'")]
    [InlineData("users list", "--Gateway:TrustedProxies:0=10.0.0.0/33", "Gateway:TrustedProxies", "'10.0.0.0/33'")]
    [InlineData("users list", "--Gateway:Keys:RevalidateAfter=15s", "Gateway:Keys:RevalidateAfter", "'15s'")]
    [InlineData("routes explain --route none", "--Gateway:Metrics:UpstreamGauges=1", "Gateway:Metrics:UpstreamGauges", "'1'")]
    [InlineData("routes check {routes}", "--Gateway:Keys:RevalidateAfter=15s", "Gateway:Keys:RevalidateAfter", "'15s'")]
    [InlineData("routes check {routes}", "--Gateway:Console:EditRoutes=yes", "Gateway:Console:EditRoutes", "'yes'")]
    public async Task A_setting_the_server_refuses_stops_every_verb_with_the_same_paragraph_and_exit_2(string verb, string setting, string named, string value)
    {
        var (directory, settings) = Isolated();
        var words = verb.Replace("{routes}", Path.Combine(directory, "routes.json"), StringComparison.Ordinal).Split(' ');

        var result = await GatewayProcess.RunAsync(ProcessTimeout, [.. words, .. settings, setting]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("a setting is invalid", result.Error);
        Assert.Contains(named, result.Error);
        Assert.Contains(value, result.Error);
        Assert.DoesNotContain("Unhandled exception", result.Error);
        Assert.DoesNotContain("   at ", result.Error);
        Assert.DoesNotContain("ter2", result.Error);
    }

    [Fact]
    public async Task A_valid_setting_changes_nothing_for_routes_check()
    {
        var (directory, settings) = Isolated();

        var result = await GatewayProcess.RunAsync(ProcessTimeout, ["routes", "check", Path.Combine(directory, "routes.json"), .. settings, "--Gateway:Keys:RevalidateAfter=00:00:15"]);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("OK", result.Output);
    }
}
