using System.Net;
using Tribuo.Gateway.Tests.Infrastructure;
using Xunit;

namespace Tribuo.Gateway.Tests.Proxy;

/// <summary>YARP's HashCookie session affinity, allowed in routes.json, pins a client to one destination through the gateway.</summary>
public sealed class SessionAffinityTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_affinity_cookie_pins_later_requests_to_one_of_two_destinations()
    {
        await using var left = await EchoUpstream.StartAsync("left", Ct);
        await using var right = await EchoUpstream.StartAsync("right", Ct);
        var routes = $$"""
            {
              "Routes": { "sticky": { "ClusterId": "pair", "Match": { "Path": "/sticky/{**rest}" }, "Metadata": { "Auth": "public" } } },
              "Clusters": { "pair": {
                "LoadBalancingPolicy": "RoundRobin",
                "SessionAffinity": { "Enabled": true, "Policy": "HashCookie", "AffinityKeyName": "tgw-affinity" },
                "Destinations": { "left": { "Address": "{{left.Address}}" }, "right": { "Address": "{{right.Address}}" } } } }
            }
            """;
        var routesFile = Path.Combine(Directory.CreateTempSubdirectory("tgw-affinity-").FullName, "routes.json");
        await File.WriteAllTextAsync(routesFile, routes, Ct);
        Assert.Equal(0, (await GatewayProcess.RunAsync(TimeSpan.FromSeconds(60), "routes", "check", routesFile)).ExitCode);

        await using var gateway = GatewayApp.Start(routes);
        using var client = gateway.NewClient();

        // Without the cookie, round robin reaches both destinations.
        var unpinned = new HashSet<string>();
        string? cookie = null;
        for (var i = 0; i < 4; i++)
        {
            using var response = await client.GetAsync("/sticky/x", Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            unpinned.Add(response.Headers.GetValues("X-Echo-Upstream").Single());
            cookie ??= response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("tgw-affinity=", StringComparison.Ordinal)).Split(';')[0];
        }

        Assert.Equal(["left", "right"], unpinned.Order());

        var pinned = new HashSet<string>();
        for (var i = 0; i < 6; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/sticky/x");
            request.Headers.TryAddWithoutValidation("Cookie", cookie);
            using var response = await client.SendAsync(request, Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            pinned.Add(response.Headers.GetValues("X-Echo-Upstream").Single());
        }

        Assert.Single(pinned);
    }
}
