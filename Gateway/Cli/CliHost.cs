using Tribuo.Gateway.Hosting;
using Tribuo.Gateway.Keys;
using Tribuo.Gateway.Login;
using Tribuo.Gateway.Storage;
using Tribuo.Gateway.Tokens;

namespace Tribuo.Gateway.Cli;

/// <summary>The server's services without the server, so CLI verbs see exactly the stores it would.</summary>
internal static class CliHost
{
    /// <summary>Splits <c>--Section:Key=value</c> configuration arguments from the verb's own words.</summary>
    public static (string[] Settings, string[] Words) SplitSettings(string[] args)
    {
        var settings = args.Where(a => a.StartsWith("--", StringComparison.Ordinal) && a.Contains(':') && a.Contains('=')).ToArray();
        return (settings, args.Except(settings).ToArray());
    }

    /// <summary>The CLI runs no background writer: its audit events are written when the verb ends.</summary>
    public static IAsyncDisposable DrainAuditOnExit(WebApplication app) => new AuditDrain(app.Services.GetRequiredService<Operations.AuditTrail>());

    private sealed class AuditDrain(Operations.AuditTrail trail) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => new(trail.DrainAsync());
    }

    public static WebApplication Build(string[] settings)
    {
        var builder = WebApplication.CreateBuilder(settings);
        builder.AddGatewayDefaults();
        builder.Logging.ClearProviders();
        builder.Services.AddGatewayStorage();
        builder.Services.AddGatewayKeys();
        builder.Services.AddGatewayTokens();
        builder.Services.AddGatewayLogin();
        return builder.Build();
    }
}
