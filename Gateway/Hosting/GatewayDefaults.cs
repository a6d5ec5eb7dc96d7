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
        ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Information",
        ["Logging:LogLevel:Yarp"] = "Warning",
        ["Logging:LogLevel:System.Net.Http"] = "Warning",
        ["AllowedHosts"] = "*",
    };

    public static WebApplicationBuilder AddGatewayDefaults(this WebApplicationBuilder builder)
    {
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = Settings });
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(sp => GatewayPaths.From(sp.GetRequiredService<IConfiguration>()));
        return builder;
    }
}
