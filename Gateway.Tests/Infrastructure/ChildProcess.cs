using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;

namespace Tribuo.Gateway.Tests.Infrastructure;

/// <summary>
/// The process plumbing the test servers share. An instance is a server's long-running child process
/// (<see cref="RedisServer"/>, <see cref="OidcProvider"/>) that can be killed (<see cref="StopAsync"/>) and started
/// again (<see cref="StartAsync"/>), one start/stop at a time; its recent output is kept for diagnostics, and at
/// test-process exit it is killed and its scratch directory deleted (<see cref="ExitCleanup"/>). The static members
/// run a tool to completion (<see cref="RunAsync"/>, also for <see cref="PostgresServer"/>) and hold the small
/// helpers around them.
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private readonly object _owner;
    private readonly string _scratchDirectory;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ConcurrentQueue<string> _log = new();
    private readonly int _logLines;
    private Process? _process;
    private bool _disposed;

    /// <param name="owner">The server, named by <see cref="ObjectDisposedException"/> after <see cref="DisposeAsync"/>.</param>
    /// <param name="logLines">How many of the last output lines <see cref="RecentLog"/> keeps.</param>
    /// <param name="scratchDirectory">The server's private directory, deleted on dispose and at test-process exit.</param>
    public ChildProcess(object owner, int logLines, string scratchDirectory)
    {
        _owner = owner;
        _logLines = logLines;
        _scratchDirectory = scratchDirectory;
    }

    /// <summary>True while the process is alive.</summary>
    public bool IsRunning
    {
        get
        {
            var p = _process;
            return p is not null && !HasExited(p);
        }
    }

    /// <summary>
    /// Sends a POSIX signal to the running process (<c>STOP</c> and <c>CONT</c> to make a server hang and
    /// come back, the way a paused VM or a black-holed network looks to its clients).
    /// </summary>
    public async Task SignalAsync(string signal)
    {
        var process = _process ?? throw new InvalidOperationException("the process is not running");
        var kill = NewStartInfo("kill", _scratchDirectory, ["-" + signal, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        var result = await RunAsync(kill, TimeSpan.FromSeconds(10), "kill").ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{signal} failed: {result.Output}");
        }
    }

    /// <summary>The last lines the process wrote (kept after it stops, until the next start).</summary>
    public string RecentLog => string.Join(Environment.NewLine, _log);

    /// <summary>
    /// A start info for <paramref name="file"/> in <paramref name="workingDirectory"/>: no shell, stdout and stderr
    /// redirected (and stdin when <paramref name="redirectStandardInput"/>; <see cref="RunAsync"/> closes it).
    /// </summary>
    public static ProcessStartInfo NewStartInfo(string file, string workingDirectory, IEnumerable<string> arguments, bool redirectStandardInput = false)
    {
        var psi = new ProcessStartInfo(file)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectStandardInput,
            WorkingDirectory = workingDirectory,
        };
        foreach (var argument in arguments)
        {
            psi.ArgumentList.Add(argument);
        }

        return psi;
    }

    /// <summary>
    /// Starts (or restarts after <see cref="StopAsync"/>) the process, its stdout and stderr lines going to
    /// <see cref="RecentLog"/>, then asks <paramref name="ready"/> every <paramref name="pollInterval"/> until it answers
    /// true. No-op when already running. Throws <see cref="TestServerUnavailableException"/>: "could not run
    /// <paramref name="what"/>: ..." when it cannot start; <paramref name="exited"/>(exit code) when it dies first (once
    /// its output has reached the log); <paramref name="timedOut"/>, after killing it, when <paramref name="timeout"/>
    /// has passed. Both messages get ": " and the end of <see cref="RecentLog"/> appended.
    /// </summary>
    public async Task StartAsync(
        ProcessStartInfo psi,
        string what,
        Func<Task<bool>> ready,
        TimeSpan timeout,
        TimeSpan pollInterval,
        Func<int, string> exited,
        string timedOut)
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, _owner);
            if (IsRunning)
            {
                return;
            }

            _process?.Dispose(); // a previous run that died or was stopped
            _process = null;
            _log.Clear();
            var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
            process.OutputDataReceived += (_, e) => AddLog(e.Data);
            process.ErrorDataReceived += (_, e) => AddLog(e.Data);
            try
            {
                process.Start();
            }
            catch (Exception e)
            {
                process.Dispose();
                throw new TestServerUnavailableException($"could not run {what}: {e.Message}", e);
            }

            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            _process = process;
            ExitCleanup.Register(this, () =>
            {
                KillNow();
                DeleteDirectoryQuietly(_scratchDirectory);
            });

            var clock = Stopwatch.StartNew();
            while (true)
            {
                if (HasExited(process))
                {
                    await process.WaitForExitAsync().ConfigureAwait(false); // flush the log readers
                    throw new TestServerUnavailableException($"{exited(process.ExitCode)}: {Last(RecentLog)}");
                }

                if (await ready().ConfigureAwait(false))
                {
                    return;
                }

                if (clock.Elapsed > timeout)
                {
                    KillNow();
                    throw new TestServerUnavailableException($"{timedOut}: {Last(RecentLog)}");
                }

                await Task.Delay(pollInterval).ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Kills the process and its children (an abrupt outage), waiting 10 s at most for them to be gone.</summary>
    public async Task StopAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            var process = _process;
            if (process is null)
            {
                return;
            }

            KillNow();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Killed with SIGKILL; the output readers may lag behind, nothing else to wait for.
            }

            process.Dispose();
            _process = null;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Stops the process and deletes the scratch directory.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        await StopAsync().ConfigureAwait(false);
        _disposed = true;
        ExitCleanup.Unregister(this);
        DeleteDirectoryQuietly(_scratchDirectory);
        _gate.Dispose();
    }

    private void AddLog(string? line)
    {
        if (line is null)
        {
            return;
        }

        _log.Enqueue(line);
        while (_log.Count > _logLines && _log.TryDequeue(out _))
        {
        }
    }

    private void KillNow()
    {
        try
        {
            var p = _process;
            if (p is not null && !HasExited(p))
            {
                p.Kill(entireProcessTree: true);
            }
        }
        catch (Exception)
        {
            // Already gone.
        }
    }

    private static bool HasExited(Process p)
    {
        try
        {
            return p.HasExited;
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }

    /// <summary>The outcome of <see cref="RunAsync"/>: <see cref="ExitCode"/> is null when it timed out (and was killed).</summary>
    public sealed record Completed(int? ExitCode, string Output)
    {
        public bool TimedOut => ExitCode is null;
    }

    /// <summary>
    /// Runs a tool to completion (stdin closed when redirected), collecting stdout and stderr together; after
    /// <paramref name="timeout"/> it kills the tree and returns a <see cref="Completed.TimedOut"/> result. Throws
    /// <see cref="TestServerUnavailableException"/> ("could not run <paramref name="what"/>: ...") when it cannot start.
    /// </summary>
    public static async Task<Completed> RunAsync(ProcessStartInfo psi, TimeSpan timeout, string what)
    {
        var output = new StringBuilder();
        using var process = new Process { StartInfo = psi };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
        try
        {
            process.Start();
        }
        catch (Exception e)
        {
            throw new TestServerUnavailableException($"could not run {what}: {e.Message}", e);
        }

        if (psi.RedirectStandardInput)
        {
            process.StandardInput.Close();
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var cancel = new CancellationTokenSource(timeout);
        int? exitCode;
        try
        {
            await process.WaitForExitAsync(cancel.Token).ConfigureAwait(false);
            exitCode = process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (Exception) { /* gone */ }
            exitCode = null;
        }

        lock (output)
        {
            return new Completed(exitCode, output.ToString());
        }
    }

    /// <summary>
    /// Creates and starts a server up to three times, disposing each one that fails: a port taken between probing
    /// and binding ("in use" in the error) is worth another try, anything else is not. Throws the last
    /// <see cref="TestServerUnavailableException"/>'s message (or <paramref name="fallbackError"/>).
    /// </summary>
    public static async Task<T> StartWithPortRetriesAsync<T>(Func<T> create, Func<T, Task> start, string fallbackError)
        where T : IAsyncDisposable
    {
        string? lastError = null;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var server = create();
            try
            {
                await start(server).ConfigureAwait(false);
                return server;
            }
            catch (TestServerUnavailableException e)
            {
                lastError = e.Message;
                await server.DisposeAsync().ConfigureAwait(false);
                if (!e.Message.Contains("in use", StringComparison.OrdinalIgnoreCase))
                {
                    break;
                }
            }
        }

        throw new TestServerUnavailableException(lastError ?? fallbackError);
    }

    /// <summary>The first <paramref name="name"/> file in a PATH directory, or null.</summary>
    public static string? FindOnPath(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>The end of a log for an error message: its last 2000 characters, or "(no output)".</summary>
    public static string Last(string log)
    {
        var trimmed = log.Trim();
        if (trimmed.Length == 0)
        {
            return "(no output)";
        }

        return trimmed.Length <= 2000 ? trimmed : "..." + trimmed[^2000..];
    }

    /// <summary>Deletes a server's scratch directory, best effort (it lives under the temp dir).</summary>
    public static void DeleteDirectoryQuietly(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (Exception)
        {
            // Best effort: it lives under the temp dir.
        }
    }
}

/// <summary>
/// Last line of defence: cleanups (kill a server's process, delete its directory) that run when the test process
/// exits, for the servers still registered then, so that no server is left behind.
/// </summary>
internal static class ExitCleanup
{
    private static readonly ConcurrentDictionary<object, Action> Pending = new();

    static ExitCleanup()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var cleanup in Pending.Values)
            {
                try
                {
                    cleanup();
                }
                catch (Exception)
                {
                    // Best effort at process exit; the others still run.
                }
            }
        };
    }

    /// <summary>Runs <paramref name="cleanup"/> at exit unless <paramref name="owner"/> is unregistered first (no-op when already registered).</summary>
    public static void Register(object owner, Action cleanup) => Pending.TryAdd(owner, cleanup);

    public static void Unregister(object owner) => Pending.TryRemove(owner, out _);
}
