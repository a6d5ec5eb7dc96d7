using Tribuo.Gateway.Tests.Infrastructure;
using Xunit;

namespace Tribuo.Gateway.Tests.Cli;

/// <summary><c>routes explain --route ID | --key ID</c>: the console's who-can-reach-what, from the command line, on the server's stores.</summary>
public sealed class RoutesExplainTests : IDisposable
{
    private static readonly TimeSpan ProcessTimeout = TimeSpan.FromSeconds(60);

    private readonly string _directory = Directory.CreateTempSubdirectory("tgw-explain-").FullName;

    private string DataDir => $"--Gateway:DataDir={Path.Combine(_directory, "data")}";
    private string RoutesFile => Path.Combine(_directory, "routes.json");

    public RoutesExplainTests() =>
        File.WriteAllText(RoutesFile, RoutesJson.With("http://127.0.0.1:5001/",
            RoutesJson.Route("docs-api", "/docs/{**rest}", "key", "\"Scopes\": \"docs:read\""),
            RoutesJson.Route("api", "/api/{**rest}", "any", "\"Scopes\": \"api\", \"Roles\": \"admin\", \"Companies\": \"acme\""),
            RoutesJson.Route("admin-api", "/admin/{**rest}", "key"),
            RoutesJson.Route("site", "/site/{**rest}", "user", "\"Roles\": \"admin ops\""),
            RoutesJson.Route("status", "/status", "public")));

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private Task<GatewayProcess.Result> RunAsync(params string[] args) =>
        GatewayProcess.RunAsync(ProcessTimeout, [.. args, DataDir, $"--Gateway:RoutesFile={RoutesFile}"]);

    private async Task CreateKeyAsync(string id, string scopes, params string[] more)
    {
        var created = await RunAsync(["keys", "create", "--id", id, "--name", id, "--scopes", scopes, .. more]);
        Assert.True(created.ExitCode == 0, created.Error);
    }

    private static string[] Section(string output, string heading) =>
        output.Split('\n').SkipWhile(l => !l.StartsWith(heading, StringComparison.Ordinal)).Skip(1)
            .TakeWhile(l => l.StartsWith("  ", StringComparison.Ordinal)).Select(l => l.Trim().Split("  ")[0]).ToArray();

    [Fact]
    public async Task Explains_who_reaches_a_route_and_what_a_key_reaches()
    {
        await CreateKeyAsync("reader", "docs:read");
        await CreateKeyAsync("writer", "api");
        await CreateKeyAsync("ops", "*");
        await CreateKeyAsync("site-key", "docs:read", "--origins", "https://docs.tribuo.cloud");
        await CreateKeyAsync("old", "*");
        Assert.Equal(0, (await RunAsync("keys", "revoke", "old")).ExitCode);

        var docs = await RunAsync("routes", "explain", "--route", "docs-api");
        Assert.True(docs.ExitCode == 0, docs.Error);
        Assert.StartsWith("route 'docs-api': auth key, scopes docs:read", docs.Output);
        Assert.Equal(["ops", "reader", "site-key"], Section(docs.Output, "keys ("));
        Assert.Contains("only from https://docs.tribuo.cloud", docs.Output);
        Assert.Empty(Section(docs.Output, "roles ("));

        var api = await RunAsync("routes", "explain", "--route", "api");
        Assert.Equal(["ops", "writer"], Section(api.Output, "keys ("));
        Assert.Equal(["admin (acme)"], Section(api.Output, "roles ("));

        var admin = await RunAsync("routes", "explain", "--route", "admin-api");
        Assert.Equal(["ops"], Section(admin.Output, "keys (")); // no Scopes: only * keys

        var site = await RunAsync("routes", "explain", "--route", "site");
        Assert.Empty(Section(site.Output, "keys ("));
        Assert.Equal(["admin", "ops"], Section(site.Output, "roles ("));

        var status = await RunAsync("routes", "explain", "--route", "status");
        Assert.Contains("everybody", status.Output);

        var writer = await RunAsync("routes", "explain", "--key", "writer");
        Assert.True(writer.ExitCode == 0, writer.Error);
        Assert.StartsWith("key 'writer': active, scopes api", writer.Output);
        Assert.Equal(["api", "status"], Section(writer.Output, "routes ("));

        var ops = await RunAsync("routes", "explain", "--key", "ops");
        Assert.Equal(["docs-api", "api", "admin-api", "status"], Section(ops.Output, "routes ("));

        var revoked = await RunAsync("routes", "explain", "--key", "old");
        Assert.StartsWith("key 'old': revoked", revoked.Output);
        Assert.Empty(Section(revoked.Output, "routes ("));
    }

    [Fact]
    public async Task Refuses_an_unknown_route_or_key_and_asks_for_exactly_one_of_route_and_key()
    {
        var unknownRoute = await RunAsync("routes", "explain", "--route", "nope");
        Assert.Equal(1, unknownRoute.ExitCode);
        Assert.Contains("route 'nope' is not in", unknownRoute.Error);

        var unknownKey = await RunAsync("routes", "explain", "--key", "nope");
        Assert.Equal(1, unknownKey.ExitCode);
        Assert.Contains("does not exist", unknownKey.Error);

        var both = await RunAsync("routes", "explain", "--route", "api", "--key", "nope");
        Assert.Equal(2, both.ExitCode);
        Assert.Contains("either --route ID or --key ID", both.Error);

        var neither = await RunAsync("routes", "explain");
        Assert.Equal(2, neither.ExitCode);
    }
}
