using System.Diagnostics;

namespace Tribuo.Gateway.Tests.Infrastructure;

/// <summary>Runs the built gateway as operators do (<c>dotnet Tribuo.Gateway.dll ...</c>) for exit-code tests.</summary>
public static class GatewayProcess
{
    public sealed record Result(int ExitCode, string Output, string Error);

    /// <summary>
    /// Start info for a long-running gateway on <paramref name="port"/> whose files live in <paramref name="directory"/>:
    /// one public route to a closed port, no keys, its own embedded store. Start it with <see cref="ChildProcess"/>.
    /// </summary>
    public static async Task<ProcessStartInfo> MinimalServerAsync(string directory, int port, CancellationToken cancellationToken)
    {
        await File.WriteAllTextAsync(Path.Combine(directory, "routes.json"), """
            { "Routes": { "r": { "ClusterId": "c", "Match": { "Path": "/r" }, "Metadata": { "Auth": "public" } } },
              "Clusters": { "c": { "Destinations": { "a": { "Address": "http://127.0.0.1:9/" } } } } }
            """, cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(directory, "keys.json"), """{ "Keys": [] }""", cancellationToken);
        return ChildProcess.NewStartInfo("dotnet", directory,
        [
            Path.Combine(AppContext.BaseDirectory, "Tribuo.Gateway.dll"),
            $"--urls=http://127.0.0.1:{port}",
            $"--Gateway:RoutesFile={Path.Combine(directory, "routes.json")}",
            $"--Gateway:KeysFile={Path.Combine(directory, "keys.json")}",
            $"--Gateway:DataDir={Path.Combine(directory, "data")}",
        ]);
    }

    /// <summary>Starts <paramref name="gateway"/> and waits until <c>/healthz</c> answers 200 through <paramref name="http"/>.</summary>
    internal static Task StartHealthyAsync(ChildProcess gateway, ProcessStartInfo psi, HttpClient http, CancellationToken cancellationToken) =>
        gateway.StartAsync(psi, "the gateway", async () =>
        {
            try
            {
                return (await http.GetAsync("/healthz", cancellationToken)).StatusCode == System.Net.HttpStatusCode.OK;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(90), TimeSpan.FromMilliseconds(200), code => $"the gateway exited with {code}", "the gateway did not start");

    public static Task<Result> RunAsync(TimeSpan timeout, params string[] args) => RunWithEnvironmentAsync(timeout, new Dictionary<string, string>(), args);

    /// <summary>As <see cref="RunAsync"/>, with <paramref name="environment"/> added to the process' environment (settings such as <c>OTEL_*</c> are usually given there).</summary>
    public static async Task<Result> RunWithEnvironmentAsync(TimeSpan timeout, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Tribuo.Gateway.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"gateway {string.Join(' ', args)} did not exit within {timeout}; output: {await output} {await error}");
        }

        return new Result(process.ExitCode, await output, await error);
    }
}
