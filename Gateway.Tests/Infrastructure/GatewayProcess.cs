using System.Diagnostics;

namespace Tribuo.Gateway.Tests.Infrastructure;

/// <summary>Runs the built gateway as operators do (<c>dotnet Tribuo.Gateway.dll ...</c>) for exit-code tests.</summary>
public static class GatewayProcess
{
    public sealed record Result(int ExitCode, string Output, string Error);

    public static async Task<Result> RunAsync(TimeSpan timeout, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetTempPath(),
        };
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
