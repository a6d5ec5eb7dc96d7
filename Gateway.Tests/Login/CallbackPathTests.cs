using System.Net;
using Tribuo.Gateway.Tests.Infrastructure;
using Xunit;

namespace Tribuo.Gateway.Tests.Login;

/// <summary>
/// Item 1 of issue 8: with exactly one provider, a path under <c>/auth/new-token/</c> that was not its
/// callback recursed through the remote handler until the process died. Every such path is a 404, with 0, 1
/// or 2 providers, and the gateway keeps answering.
/// </summary>
public sealed class CallbackPathTests : IAsyncLifetime
{
    private ZohoStandIn _zoho = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _zoho = await ZohoStandIn.StartAsync(Ct);

    public async ValueTask DisposeAsync() => await _zoho.DisposeAsync();

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public async Task A_path_that_is_no_providers_callback_is_a_404(int providers)
    {
        var settings = new Dictionary<string, string?> { ["Gateway:Login:AllowedOrigins:0"] = "https://docs.tribuo.cloud" };
        var zoho = _zoho.GatewaySettings();
        for (var i = 0; i < providers; i++)
        {
            foreach (var (key, value) in zoho)
            {
                settings[key.Replace(":zoho:", i == 0 ? ":zoho:" : ":zoho-two:")] = value;
            }
        }

        await using var gateway = GatewayApp.Start("""{ "Routes": {}, "Clusters": {} }""", settings);
        using var client = gateway.NewClient();
        foreach (var path in new[] { "/auth/new-token/other", "/auth/new-token/", "/auth/new-token", "/auth/new-token/zoho/extra", "/auth/new-token/zoho-three",
                     "/auth/new-token/ZOHO", "/auth/new-token/Zoho", "/auth/new-token/zoho/", "/auth/new-token/ZOHO-TWO" })
        {
            using var response = await client.GetAsync(path, Ct);
            Assert.True(HttpStatusCode.NotFound == response.StatusCode, $"{path}: {(int)response.StatusCode}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        using var health = await client.GetAsync("/healthz", Ct);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }
}
