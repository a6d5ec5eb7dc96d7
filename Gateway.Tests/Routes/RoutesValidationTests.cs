using Microsoft.Extensions.DependencyInjection;
using Tribuo.Gateway.Routes;
using Tribuo.Gateway.Tests.Infrastructure;
using Xunit;

namespace Tribuo.Gateway.Tests.Routes;

public sealed class RoutesValidationTests : IDisposable
{
    private readonly ServiceProvider _services = RoutesLoader.CreateStandalone();

    private readonly string _directory = Directory.CreateTempSubdirectory("tgw-routes-").FullName;

    private const string Cluster = """ "Clusters": { "api": { "Destinations": { "a": { "Address": "http://127.0.0.1:9/" } } } } """;

    private static string Doc(string routeBody, string? clusters = null) =>
        $$"""{ "Routes": { "r1": {{routeBody}} }, {{clusters ?? Cluster}} }""";

    /// <summary>Each invalid document, and what the error must name: subject, field, and a phrase of the message.</summary>
    public static TheoryData<string, string, string, string> InvalidDocuments => new()
    {
        { Doc("""{ "ClusterId": "api", "Match": { "Path": "/x" }, "Metadata": { "Auth": "keys" } }"""), "route 'r1'", "Metadata.Auth", "'keys' is not an auth mode" },
        { Doc("""{ "ClusterId": "api", "Match": { "Path": "/x" }, "Metadata": { "Auth": "1" } }"""), "route 'r1'", "Metadata.Auth", "not an auth mode" },
        { Doc("""{ "ClusterId": "api", "Match": { "Path": "/x" }, "Metadata": { "Scopes": "  " } }"""), "route 'r1'", "Metadata.Scopes", "is empty" },
        { Doc("""{ "ClusterId": "api", "Match": { "Path": "/x" }, "Metadata": { "Scopes": "a, b" } }"""), "route 'r1'", "Metadata.Scopes", "not commas" },
        { Doc("""{ "ClusterId": "api", "Match": { "Path": "/x" }, "Metadata": { "Roles": "" } }"""), "route 'r1'", "Metadata.Roles", "is empty" },
        { Doc("""{ "ClusterId": "api", "Match": { "Path": "/x" }, "Metadata": { "ForwardAuthorization": "yes" } }"""), "route 'r1'", "Metadata.ForwardAuthorization", "'yes'" },
        { Doc("""{ "ClusterId": "api", "Match": { "Path": "/x" }, "Metadata": { "RateLimit": "100/1w" } }"""), "route 'r1'", "Metadata.RateLimit", "'100/1w' is not a rate limit" },
        { Doc("""{ "ClusterId": "api", "Match": { "Path": "/x" }, "Metadata": { "RateLimit": "5/2d" } }"""), "route 'r1'", "Metadata.RateLimit", "between 1s and 1d" },
        { Doc("""{ "ClusterId": "api", "Match": { "Path": "/auth/{**x}" } }"""), "route 'r1'", "Match.Path", "claims /auth" },
        { Doc("""{ "ClusterId": "api", "Match": { "Path": "/login" } }"""), "route 'r1'", "Match.Path", "claims /login" },
        { Doc("""{ "ClusterId": "api", "Match": { "Path": "/gateway/keys" } }"""), "route 'r1'", "Match.Path", "claims /gateway" },
        { Doc("""{ "ClusterId": "api", "Match": { "Path": "/.well-known/{**x}" } }"""), "route 'r1'", "Match.Path", "claims /.well-known" },
        { Doc("""{ "ClusterId": "api", "Match": { "Path": "/HealthZ" } }"""), "route 'r1'", "Match.Path", "claims /healthz" },
        { Doc("""{ "ClusterId": "api", "Match": { "Path": "/check-token/{t}" } }"""), "route 'r1'", "Match.Path", "claims /check-token" },
        { Doc("""{ "ClusterId": "api", "Match": { "Path": "/metrics" } }"""), "route 'r1'", "Match.Path", "claims /metrics" },
        { Doc("""{ "ClusterId": "nope", "Match": { "Path": "/x" } }"""), "route 'r1'", "ClusterId", "'nope' is not defined" },
        { Doc("""{ "Match": { "Path": "/x" } }"""), "route 'r1'", "ClusterId", "is missing" },
        { Doc("""{ "ClusterId": "api", "Match": { } }"""), "route 'r1'", "(YARP)", "Hosts or Path" },
        { Doc("""{ "ClusterId": "api", "Match": { "Path": "/x" }, "Metdata": { "Auth": "public" } }"""), "route 'r1'", "Metdata", "not a known field" },
        { Doc("""{ "ClusterId": "api", "Match": { "Path": "/x" }, "Metadata": { "ForwardAuthorization": true } }"""), "route 'r1'", "Metadata.ForwardAuthorization", "wrong type" },
        { Doc("""{ "ClusterId": "api", "Match": { "Path": "/x" } }""", """ "Clusters": { "api": { "Destinations": { } } } """), "cluster 'api'", "Destinations", "is empty" },
        { Doc("""{ "ClusterId": "api", "Match": { "Path": "/x" } }""", """ "Clusters": { "api": { "LoadBalancingPolicy": "Nope", "Destinations": { "a": { "Address": "http://127.0.0.1:9/" } } } } """), "cluster 'api'", "(YARP)", "Nope" },
        { """{ "Routes": { "r1": { "ClusterId": "api", """, "route 'r1'", "", "not valid JSON" },
        { """{ "Routes": [] }""", "routes file", "Routes", "wrong type" },
        { Doc("""{ "ClusterId": "api", "Match": { "Path": "/x" }, "Metadata": { "ForwardAuthorization": true } }"""), "route 'r1'", "Metadata.ForwardAuthorization", "Metadata values are strings" },
        // An outside probe: a misspelt match mode was told that Metadata values are strings.
        { Doc("""{ "ClusterId": "api", "Match": { "Path": "/x", "Headers": [ { "Name": "X-A", "Mode": "Bogus" } ] } }"""), "route 'r1'", "Match.Headers.0.Mode", "ExactHeader" },
        { Doc("""{ "ClusterId": "api", "Order": "first", "Match": { "Path": "/x" } }"""), "route 'r1'", "Order", "whole number" },
    };

    [Theory]
    [MemberData(nameof(InvalidDocuments))]
    public async Task Invalid_documents_name_the_subject_the_field_and_the_problem(string json, string subject, string field, string phrase)
    {
        var result = await LoadAsync(json);

        Assert.Null(result.Snapshot);
        Assert.Contains(result.Errors, e => e.Subject.StartsWith(subject, StringComparison.Ordinal)
            && e.Field.StartsWith(field, StringComparison.Ordinal)
            && e.Message.Contains(phrase, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Every_error_is_reported_at_once()
    {
        var json = """
        {
          "Routes": {
            "a": { "ClusterId": "api", "Match": { "Path": "/auth/{**x}" }, "Metadata": { "Auth": "nobody" } },
            "b": { "ClusterId": "missing", "Match": { "Path": "/b" }, "Metadata": { "Scopes": "" } }
          },
          "Clusters": { "api": { "SessionAffinity": { "Enabled": true, "Policy": "HashCookie" }, "Destinations": { "a": { "Address": "http://127.0.0.1:9/" } } } }
        }
        """;

        var result = await LoadAsync(json);

        Assert.Equal(5, result.Errors.Count);
        Assert.Contains(result.Errors, e => e.Subject == "cluster 'api'" && e.Field == "(YARP)" && e.Message.Contains("Affinity key name"));
        Assert.Contains(result.Errors, e => e.Subject == "route 'a'" && e.Field == "Metadata.Auth");
        Assert.Contains(result.Errors, e => e.Subject == "route 'a'" && e.Field == "Match.Path");
        Assert.Contains(result.Errors, e => e.Subject == "route 'b'" && e.Field == "ClusterId");
        Assert.Contains(result.Errors, e => e.Subject == "route 'b'" && e.Field == "Metadata.Scopes");
    }

    [Theory]
    [InlineData("/{**rest}")]
    [InlineData("/authority/{**rest}")]
    [InlineData("/logins")]
    [InlineData("/api/auth/{**rest}")]
    public async Task Paths_that_merely_resemble_reserved_ones_are_valid(string path)
    {
        var result = await LoadAsync(Doc($$"""{ "ClusterId": "api", "Match": { "Path": "{{path}}" }, "Metadata": { "Auth": "public" } }"""));

        Assert.Empty(result.Errors);
        Assert.NotNull(result.Snapshot);
    }

    [Theory]
    [InlineData("HashCookie")]
    [InlineData("ArrCookie")]
    [InlineData("Cookie")]
    public async Task Every_affinity_policy_of_yarp_is_accepted(string policy)
    {
        var result = await LoadAsync(Doc("""{ "ClusterId": "api", "Match": { "Path": "/x" } }""",
            $$""" "Clusters": { "api": { "SessionAffinity": { "Enabled": true, "Policy": "{{policy}}", "AffinityKeyName": "k" }, "Destinations": { "a": { "Address": "http://127.0.0.1:9/" } } } } """));

        Assert.Empty(result.Errors);
        Assert.NotNull(result.Snapshot);
    }

    [Fact]
    public async Task Policies_are_parsed_once_into_typed_values()
    {
        var json = """
        {
          "Routes": {
            "k": { "ClusterId": "api", "Match": { "Path": "/k" }, "Metadata": { "Scopes": "docs:read  admin docs:read" } },
            "u": { "ClusterId": "api", "Match": { "Path": "/u" }, "Metadata": { "auth": "USER", "Roles": "admin", "Companies": "tribuo acme", "ForwardAuthorization": "true" } },
            "p": { "ClusterId": "api", "Match": { "Path": "/p" }, "Metadata": { "Auth": "public" } },
            "n": { "ClusterId": "api", "Match": { "Path": "/n" } }
          },
          "Clusters": { "api": { "Destinations": { "a": { "Address": "http://127.0.0.1:9/" } } } }
        }
        """;

        var snapshot = (await LoadAsync(json)).Snapshot!;

        Assert.Equal(AuthMode.Key, snapshot.Policies["k"].Auth);
        Assert.Equal(["docs:read", "admin"], snapshot.Policies["k"].Scopes);
        Assert.Equal(AuthMode.User, snapshot.Policies["u"].Auth);
        Assert.Equal(["tribuo", "acme"], snapshot.Policies["u"].Companies);
        Assert.Equal(["admin"], snapshot.Policies["u"].Roles);
        Assert.True(snapshot.Policies["u"].ForwardAuthorization);
        Assert.Equal(AuthMode.Public, snapshot.Policies["p"].Auth);
        Assert.Equal(AuthMode.Key, snapshot.Policies["n"].Auth);
        Assert.Empty(snapshot.Policies["n"].Scopes);
    }

    [Theory]
    [InlineData("routes.json")]
    [InlineData("compose/routes.json")]
    public async Task The_shipped_routes_files_are_valid(string file)
    {
        var result = await _services.GetRequiredService<RoutesLoader>().LoadAsync(Path.Combine(RepoRoot(), file));
        Assert.Empty(result.Errors);
    }

    [Fact]
    public async Task Routes_check_exits_0_for_a_valid_file_and_1_with_every_error_for_an_invalid_one()
    {
        var good = await GatewayProcess.RunAsync(TimeSpan.FromSeconds(60), "routes", "check", Path.Combine(RepoRoot(), "routes.json"));
        Assert.Equal(0, good.ExitCode);
        Assert.Contains("OK", good.Output);

        var bad = Path.Combine(_directory, "bad.json");
        await File.WriteAllTextAsync(bad, Doc("""{ "ClusterId": "nope", "Match": { "Path": "/login" }, "Metadata": { "Auth": "everyone" } }"""), TestContext.Current.CancellationToken);
        var result = await GatewayProcess.RunAsync(TimeSpan.FromSeconds(60), "routes", "check", bad);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("route 'r1': Metadata.Auth", result.Error);
        Assert.Contains("route 'r1': Match.Path", result.Error);
        Assert.Contains("route 'r1': ClusterId", result.Error);
        Assert.DoesNotContain("   at ", result.Error); // no stack trace
    }

    [Fact]
    public async Task The_server_refuses_to_start_on_an_invalid_file_with_a_readable_message()
    {
        var bad = Path.Combine(_directory, "bad.json");
        await File.WriteAllTextAsync(bad, Doc("""{ "ClusterId": "api", "Match": { "Path": "/x" }, "Metadata": { "Auth": "whoever" } }"""), TestContext.Current.CancellationToken);

        var result = await GatewayProcess.RunAsync(TimeSpan.FromSeconds(60),
            $"--Gateway:RoutesFile={bad}", $"--Gateway:DataDir={Path.Combine(_directory, "data")}", "--urls=http://127.0.0.1:0");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("route 'r1': Metadata.Auth: 'whoever' is not an auth mode", result.Error);
        Assert.DoesNotContain("   at ", result.Error);
    }

    internal static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Tribuo.Gateway.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("repository root not found");
    }

    private async Task<RoutesLoadResult> LoadAsync(string json)
    {
        var path = Path.Combine(_directory, $"{Guid.NewGuid():n}.json");
        await File.WriteAllTextAsync(path, json);
        return await _services.GetRequiredService<RoutesLoader>().LoadAsync(path);
    }

    public void Dispose()
    {
        _services.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
