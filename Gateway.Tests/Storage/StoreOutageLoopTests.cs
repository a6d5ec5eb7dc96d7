using Microsoft.Extensions.Logging.Abstractions;
using Tribuo.Gateway.Storage;
using Tribuo.Gateway.Tokens;
using Xunit;

namespace Tribuo.Gateway.Tests.Storage;

/// <summary>
/// An outside probe hung Redis (SIGSTOP) for 35 s: its client, tearing the connection down, failed the calls it held
/// with a TaskCanceledException nobody asked for, the revocation reload and the last-use flush let it through, and
/// BackgroundServiceExceptionBehavior.StopHost stopped the gateway (exit 0), several instances in the same millisecond.
/// A background loop's failure is anything but its own cancellation.
/// </summary>
public sealed class StoreOutageLoopTests
{
    private sealed class HungStore(Exception failure) : IRevokedTokenStore
    {
        public Task AddAsync(string jti, DateTimeOffset expiresAt, CancellationToken cancellationToken = default) => Task.FromException(failure);

        public Task<IReadOnlyDictionary<string, DateTimeOffset>> ListActiveAsync(DateTimeOffset now, CancellationToken cancellationToken = default) =>
            Task.FromException<IReadOnlyDictionary<string, DateTimeOffset>>(failure);
    }

    private sealed class SilentFeed : IChangeFeed
    {
        public Task PublishAsync(string topic, string payload, CancellationToken cancellationToken = default) => Task.CompletedTask;

        public Task SubscribeAsync(string topic, Action<string> changed, Action reset, CancellationToken cancellationToken) => Task.CompletedTask;

        public bool IsLive(string topic) => false;
    }

    private static RevokedTokens Over(Exception failure) =>
        new(new HungStore(failure), new SilentFeed(), TimeProvider.System, NullLogger<RevokedTokens>.Instance);

    [Fact]
    public async Task A_cancellation_the_loop_did_not_ask_for_is_a_store_failure_not_the_end_of_the_host()
    {
        var revoked = Over(new TaskCanceledException("the Redis client gave up on a hung connection"));

        await revoked.ReloadAsync(CancellationToken.None); // before: the exception escaped, and the host stopped

        Assert.False(revoked.IsLoaded);
    }

    [Fact]
    public async Task The_loops_own_cancellation_still_ends_it()
    {
        using var stopping = new CancellationTokenSource();
        await stopping.CancelAsync();
        var revoked = Over(new OperationCanceledException(stopping.Token));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => revoked.ReloadAsync(stopping.Token));
    }

    [Fact]
    public void Only_the_callers_own_cancellation_is_not_a_failure()
    {
        using var stopping = new CancellationTokenSource();
        Assert.True(StoreErrors.IsNotOwnCancellation(new TaskCanceledException(), stopping.Token));
        Assert.True(StoreErrors.IsNotOwnCancellation(new InvalidOperationException("Reading is not allowed after reader was completed."), stopping.Token));
        stopping.Cancel();
        Assert.False(StoreErrors.IsNotOwnCancellation(new TaskCanceledException(), stopping.Token));
        Assert.True(StoreErrors.IsNotOwnCancellation(new TimeoutException(), stopping.Token));
    }
}
