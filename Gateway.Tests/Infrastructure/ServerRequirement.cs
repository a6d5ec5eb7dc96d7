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
