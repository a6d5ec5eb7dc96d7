using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Tribuo.Gateway.Routes;
using Xunit;

namespace Tribuo.Gateway.Tests.Routes;

/// <summary>
/// <c>GET /gateway/config</c> shows how each route matches. An outside probe: a route matched on a header looked there
/// like a plain route of its path, so an operator could not see why requests went to it.
/// </summary>
public sealed class ConfigViewTests : IDisposable
{
    private readonly ServiceProvider _services = RoutesLoader.CreateStandalone();
    private readonly string _directory = Directory.CreateTempSubdirectory("tgw-configview-").FullName;

    [Fact]
    public async Task A_route_shows_its_methods_header_and_query_rules_and_its_rate_limit()
    {
        var path = Path.Combine(_directory, "routes.json");
        await File.WriteAllTextAsync(path, """
            { "Routes": { "v2": { "ClusterId": "api", "Match": { "Path": "/api/{**rest}", "Methods": [ "POST" ],
                "Headers": [ { "Name": "X-Api-Version", "Values": [ "2" ], "Mode": "ExactHeader" } ],
                "QueryParameters": [ { "Name": "beta", "Mode": "Exists" } ] },
                "Metadata": { "Auth": "key", "Scopes": "api", "RateLimit": "10/1s" } } },
              "Clusters": { "api": { "Destinations": { "a": { "Address": "http://127.0.0.1:9/" } } } } }
            """, TestContext.Current.CancellationToken);
        var loaded = await _services.GetRequiredService<RoutesLoader>().LoadAsync(path);
        Assert.Empty(loaded.Errors);

        var view = ConfigView.From(new RoutesStatus(path, DateTimeOffset.UtcNow, 1, 1, null, null), loaded.Snapshot);
        var json = JsonSerializer.SerializeToElement(view, ConfigJsonContext.Default.ConfigView);

        var route = Assert.Single(json.GetProperty("Routes").EnumerateArray());
        Assert.Contains("POST", route.GetProperty("Methods").EnumerateArray().Select(m => m.GetString()));
        var header = Assert.Single(route.GetProperty("Headers").EnumerateArray());
        Assert.Equal("X-Api-Version", header.GetProperty("Name").GetString());
        Assert.Equal("ExactHeader", header.GetProperty("Mode").GetString());
        Assert.Equal(["2"], header.GetProperty("Values").EnumerateArray().Select(v => v.GetString()));
        var query = Assert.Single(route.GetProperty("QueryParameters").EnumerateArray());
        Assert.Equal("beta", query.GetProperty("Name").GetString());
        Assert.Equal("Exists", query.GetProperty("Mode").GetString());
        Assert.Equal("10/1s", route.GetProperty("RateLimit").GetString());
    }

    public void Dispose()
    {
        _services.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
