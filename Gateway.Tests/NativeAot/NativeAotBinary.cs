using Tribuo.Gateway.Tests.Infrastructure;

namespace Tribuo.Gateway.Tests.NativeAot;

/// <summary>
/// The gateway as a Native AOT binary (<c>dotnet publish Gateway -c Release -r linux-x64</c>), published once per
/// test run, or taken from <c>TRIBUO_TEST_AOT_BINARY</c>. The rest of the suite runs the JIT build in process; these
/// tests are what shows the binary does the same work (no reflection left that it cannot do).
/// </summary>
internal static class NativeAotBinary
{
    public const string EnvironmentVariable = "TRIBUO_TEST_AOT_BINARY";

    private static readonly Lazy<Task<string>> Published = new(PublishAsync);

    /// <summary>The binary's path; skips (fails when CI=true) the calling test when it cannot be published.</summary>
    public static async Task<string> RequireAsync()
    {
        try
        {
            return await Published.Value;
        }
        catch (TestServerUnavailableException ex)
        {
            ServerRequirement.SkipOrFail(ex.Message);
            throw; // not reached
        }
    }

    private static async Task<string> PublishAsync()
    {
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } given)
        {
            return File.Exists(given) ? given : throw new TestServerUnavailableException($"{EnvironmentVariable}={given}: no such file");
        }

        var project = FindProject() ?? throw new TestServerUnavailableException("Gateway/Gateway.csproj not found above the test binaries");
        var output = Path.Combine(Path.GetTempPath(), $"tgw-aot-{Environment.ProcessId}");
        var publish = ChildProcess.NewStartInfo("dotnet", Path.GetDirectoryName(project)!,
            // No build processes left behind: they hold inotify instances, of which a user has 128 on Debian.
            ["publish", project, "-c", "Release", "-r", "linux-x64", "-o", output, "-nologo", "-nodeReuse:false", "-p:UseSharedCompilation=false"]);
        var done = await ChildProcess.RunAsync(publish, TimeSpan.FromMinutes(10), "dotnet publish (Native AOT)");
        var binary = Path.Combine(output, "Tribuo.Gateway");
        if (done.ExitCode != 0 || !File.Exists(binary))
        {
            throw new TestServerUnavailableException(
                $"the Native AOT publish failed ({(done.TimedOut ? "timed out" : $"exit {done.ExitCode}")}): {ChildProcess.Last(done.Output)}");
        }

        ExitCleanup.Register(Published, () => ChildProcess.DeleteDirectoryQuietly(output));
        return binary;
    }

    private static string? FindProject()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "Gateway", "Gateway.csproj");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
