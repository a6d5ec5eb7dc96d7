using System.Net;
using System.Text.Json;
using Tribuo.Gateway.Tests.Infrastructure;
using Xunit;

namespace Tribuo.Gateway.Tests.Operations;

/// <summary>/healthz and /readyz on ASP.NET Core health checks, and framework errors in the gateway's one problem shape.</summary>
public sealed class HealthTests
{
    private const string Routes = """{ "Routes": {}, "Clusters": {} }""";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("GET", "/healthz")]
    [InlineData("HEAD", "/healthz")]
    [InlineData("GET", "/readyz")]
    [InlineData("HEAD", "/readyz")]
    public async Task Probes_answer_GET_and_HEAD(string method, string path)
    {
        await using var gateway = GatewayApp.Start(Routes);
        await gateway.KeysFileImportedAsync();
        using var response = await gateway.NewClient().SendAsync(new HttpRequestMessage(new HttpMethod(method), path), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("no-cache", response.Headers.CacheControl?.ToString() ?? "");
    }

    [Theory]
    [InlineData("POST", "/healthz")]
    [InlineData("DELETE", "/readyz")]
    public async Task Another_method_is_a_405_problem_naming_the_allowed_ones(string method, string path)
    {
        await using var gateway = GatewayApp.Start(Routes);
        using var response = await gateway.NewClient().SendAsync(new HttpRequestMessage(new HttpMethod(method), path), Ct);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("GET", response.Content.Headers.Allow);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
        Assert.Equal(405, problem.GetProperty("status").GetInt32());
        Assert.Equal("https://tribuo.cloud/gateway/problems/405", problem.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Readiness_names_each_configured_store_and_a_stopped_one_without_its_connection_string()
    {
        await using var redis = await RedisServer.StartOrSkipAsync();
        await using var gateway = GatewayApp.Start(Routes, new Dictionary<string, string?>
        {
            ["ConnectionStrings:Redis"] = redis.ConnectionString + ",password=not-for-your-eyes",
        });
        await redis.StopAsync();

        using var response = await gateway.NewClient().GetAsync("/readyz", Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var stores = JsonDocument.Parse(body).RootElement.GetProperty("stores").EnumerateArray().ToArray();
        Assert.Equal(["embedded", "redis"], stores.Select(s => s.GetProperty("name").GetString()));
        Assert.Contains("redis", stores[1].GetProperty("problem").GetString());
        Assert.DoesNotContain("not-for-your-eyes", body);
        Assert.DoesNotContain(redis.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), body);
    }
}
