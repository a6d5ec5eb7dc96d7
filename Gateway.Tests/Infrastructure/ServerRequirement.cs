using System.Diagnostics.CodeAnalysis;
using Xunit;

namespace Tribuo.Gateway.Tests.Infrastructure;

/// <summary>
/// What a test does when a server it needs (redis-server, PostgreSQL, ...) cannot be had:
/// on a developer's machine the test is skipped with the reason; in CI (environment variable
/// <c>CI=true</c>) it fails, because there a missing server means a broken pipeline.
/// </summary>
internal static class ServerRequirement
{
    /// <summary>True when the environment variable <c>CI</c> is <c>true</c> (case-insensitive).</summary>
    public static bool IsCI =>
        string.Equals(Environment.GetEnvironmentVariable("CI")?.Trim(), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Fails the current test in CI, skips it everywhere else. Never returns.</summary>
    [DoesNotReturn]
    public static void SkipOrFail(string reason)
    {
        if (IsCI)
        {
            Assert.Fail($"{reason} (CI=true: a missing test server is a failure, not a skip)");
        }

        Assert.Skip(reason);
    }
}

/// <summary>A test server could not be found or started; <see cref="Exception.Message"/> says why.</summary>
public sealed class TestServerUnavailableException : Exception
{
    public TestServerUnavailableException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>
/// The state a server class fixture (<see cref="RedisFixture"/>, <see cref="OidcProviderFixture"/>) keeps: the
/// server it started, or why it could not, so that it never throws from <c>InitializeAsync</c> and every test that
/// <see cref="Require"/>s the server is skipped (failed under CI=true) instead.
/// </summary>
internal sealed class FixtureServer<T>(string notInitialized, string startFailed) where T : class, IAsyncDisposable
{
    private T? _server;

    /// <summary>Why the server is unavailable, or null when it started (or before <see cref="StartAsync"/>).</summary>
    public string? UnavailableReason { get; private set; }

    /// <summary>Returns the server, or skips (fails when CI=true) the calling test when it could not be started.</summary>
    public T Require()
    {
        if (_server is null)
        {
            ServerRequirement.SkipOrFail(UnavailableReason ?? notInitialized);
        }

        return _server;
    }

    /// <summary>Starts the server; on failure keeps the reason (a <see cref="TestServerUnavailableException"/>'s message, else "<c>startFailed</c>: exception").</summary>
    public async ValueTask StartAsync(Func<Task<T>> start)
    {
        try
        {
            _server = await start().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            UnavailableReason = e is TestServerUnavailableException ? e.Message : $"{startFailed}: {e}";
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync().ConfigureAwait(false);
        }
    }
}
