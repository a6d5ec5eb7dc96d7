using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Tribuo.Gateway.Hosting;
using Tribuo.Gateway.Tests.Infrastructure;
using Xunit;

namespace Tribuo.Gateway.Tests.Hosting;

/// <summary>Settings outside the files: a readable paragraph naming the setting and exit 2, never a stack trace; sample keys only in Development.</summary>
public sealed class StartupSettingsTests
{
    private static readonly TimeSpan ProcessTimeout = TimeSpan.FromSeconds(60);

    private static string[] Isolated()
    {
        var directory = Directory.CreateTempSubdirectory("tgw-settings-").FullName;
        File.WriteAllText(Path.Combine(directory, "routes.json"), """{ "Routes": {}, "Clusters": {} }""");
        return [$"--Gateway:DataDir={directory}", $"--Gateway:RoutesFile={Path.Combine(directory, "routes.json")}", "--urls=http://127.0.0.1:0"];
    }

    [Theory]
    [InlineData("--Gateway:TrustedProxies:0=10.0.0.0/33", "Gateway:TrustedProxies", "'10.0.0.0/33'")]
    [InlineData("--Gateway:Keys:RevalidateAfter=15s", "Gateway:Keys:RevalidateAfter", "'15s'")]
    [InlineData("--Gateway:Login:PasswordFailureWindow=soon", "Gateway:Login:PasswordFailureWindow", "'soon'")]
    [InlineData("--ConnectionStrings:Redis=127.0.0.1:6379,password=hunter2-secret,bogus=1", "ConnectionStrings:Redis", "'bogus'")]
    [InlineData("--ConnectionStrings:Postgres=Host=127.0.0.1;Passwrd=hunter2-secret", "ConnectionStrings:Postgres", "passwrd")]
    public async Task An_unusable_setting_stops_the_gateway_with_a_paragraph_naming_it(string setting, string named, string value)
    {
        var result = await GatewayProcess.RunAsync(ProcessTimeout, [.. Isolated(), setting]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("cannot start", result.Error);
        Assert.Contains(named, result.Error);
        Assert.Contains(value, result.Error);
        Assert.DoesNotContain("   at ", result.Error + result.Output);
        Assert.DoesNotContain("hunter2-secret", result.Error + result.Output);
    }

    [Fact]
    public async Task A_port_in_use_stops_the_gateway_with_a_paragraph_naming_the_address()
    {
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        taken.Listen(1);
        var port = ((IPEndPoint)taken.LocalEndPoint!).Port;

        var result = await GatewayProcess.RunAsync(ProcessTimeout, [.. Isolated(), $"--urls=http://127.0.0.1:{port}"]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"127.0.0.1:{port}", result.Error);
        Assert.Contains("address already in use", result.Error);
        Assert.Contains("urls", result.Error);
        Assert.DoesNotContain("   at ", result.Error + result.Output);
    }

    [Theory]
    [InlineData("Development", null, true)]
    [InlineData("Production", null, false)]
    [InlineData("Staging", null, false)]
    [InlineData("Production", "mine.json", true)]
    public void Sample_keys_are_seeded_only_in_Development_unless_a_keys_file_is_set(string environment, string? keysFile, bool seeds)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Gateway:KeysFile"] = keysFile }).Build();

        var paths = GatewayPaths.From(configuration, new Environment(environment));

        Assert.Equal(seeds, paths.KeysFile is not null);
        if (keysFile is null && seeds)
        {
            Assert.EndsWith("keys.sample.json", paths.KeysFile);
        }
    }

    [Fact]
    public void The_container_image_carries_no_sample_keys()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Dockerfile")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("no Dockerfile above the test binaries");
        }

        var dockerfile = File.ReadAllText(Path.Combine(root, "Dockerfile"));
        Assert.DoesNotContain("keys.sample.json", dockerfile.Split('\n').Where(l => !l.TrimStart().StartsWith('#')));
        Assert.DoesNotContain("ASPNETCORE_ENVIRONMENT", dockerfile);
    }

    private sealed class Environment(string name) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = name;
        public string ApplicationName { get; set; } = "Tribuo.Gateway";
        public string ContentRootPath { get; set; } = Directory.GetCurrentDirectory();
        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }
}
