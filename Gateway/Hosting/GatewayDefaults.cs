using Microsoft.Extensions.Configuration.Memory;

namespace Tribuo.Gateway.Hosting;

internal static class GatewayDefaults
{
    /// <summary>
    /// Embedded defaults, placed under every other configuration source so appsettings, environment and
    /// command line still win. The log levels are part of the security model: ASP.NET Core's request log and
    /// YARP's "Proxying to" line print full URLs at Information, and URLs carry <c>?token=</c>.
    /// </summary>
    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["urls"] = "http://localhost:8080",
        ["Logging:LogLevel:Default"] = "Information",
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
        // Microsoft.AspNetCore.Hosting.Diagnostics is held off whatever is configured: SecretFreeLogging.
        ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Information",
        ["Logging:LogLevel:Yarp"] = "Warning",
        // Both write a stack trace per failed request or probe; Proxy/UpstreamErrors and HealthProbeLog write one line instead.
        ["Logging:LogLevel:Yarp.ReverseProxy.Forwarder.HttpForwarder"] = "Error",
        ["Logging:LogLevel:Yarp.ReverseProxy.Health.ActiveHealthCheckMonitor"] = "Error",
        ["Logging:LogLevel:System.Net.Http"] = "Warning",
        ["AllowedHosts"] = "*",
    };

    public const string InlineSchedulingSetting = "Gateway:Performance:InlineScheduling";

    public static WebApplicationBuilder AddGatewayDefaults(this WebApplicationBuilder builder)
    {
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = Settings });
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);
        // Read leniently here, while the host is built; startup validation reads it strictly (anything but true/false: exit 2).
        if (bool.TryParse(builder.Configuration[InlineSchedulingSetting], out var inline) && inline)
        {
            // Only worth it together with DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 (PERFORMANCE.md §2.5);
            // request handling then runs on the socket threads, so it must never block.
            builder.WebHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = true);
        }
        builder.Services.AddSingleton<Microsoft.Extensions.Options.IPostConfigureOptions<LoggerFilterOptions>, SecretFreeLogging>();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<Operations.GatewayMetrics>();
        builder.Services.AddSingleton<Operations.AuditTrail>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Operations.AuditTrail>());
        builder.Services.AddSingleton(sp => GatewayPaths.From(sp.GetRequiredService<IConfiguration>(), sp.GetRequiredService<IHostEnvironment>()));
        return builder;
    }
}
