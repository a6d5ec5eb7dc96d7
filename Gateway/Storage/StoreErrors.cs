namespace Tribuo.Gateway.Storage;

/// <summary>Which exceptions mean "the store did not answer" (a 503 to retry), as opposed to a bug (a 500).</summary>
internal static class StoreErrors
{
    public static bool IsUnreachable(Exception ex) =>
        ex is StackExchange.Redis.RedisException or TimeoutException or System.Data.Common.DbException or System.Net.Sockets.SocketException;

    /// <summary>
    /// The same for a store call made for a request (the console's pages), which also meets what a hung Redis throws
    /// while its client tears the connection down: a cancellation the request did not ask for (its own abort stays an
    /// abort), and the client's <see cref="InvalidOperationException"/> ("Reading is not allowed after reader was
    /// completed", from <c>PhysicalConnection.ReadFromPipe</c>). The proxy path counts both as store failures too
    /// (<c>RateLimiter</c>, <c>KeyAuthenticator</c>).
    /// </summary>
    public static bool IsUnreachable(Exception ex, CancellationToken requestAborted) =>
        IsUnreachable(ex)
        || (ex is OperationCanceledException && !requestAborted.IsCancellationRequested)
        || IsRedisClientFailure(ex);

    /// <summary>
    /// For the background loops: anything but their own cancellation (<paramref name="own"/>, the host stopping) is a
    /// failure to log and retry. A hung Redis's client, tearing the connection down after about 20 s, fails the calls it
    /// held with a <see cref="TaskCanceledException"/> nobody asked for; a loop that let it through stopped the host
    /// (BackgroundServiceExceptionBehavior.StopHost), with exit code 0, on several instances at once (an outside probe).
    /// </summary>
    public static bool IsNotOwnCancellation(Exception ex, CancellationToken own) =>
        ex is not OperationCanceledException || !own.IsCancellationRequested;

    /// <summary>
    /// Only an <see cref="InvalidOperationException"/> raised inside the Redis client (its frames in the trace, which
    /// the native binary keeps too): one from the gateway's own code is a bug and stays a 500.
    /// </summary>
    private static bool IsRedisClientFailure(Exception ex) =>
        ex is InvalidOperationException && ex.StackTrace is { } trace && trace.Contains("at StackExchange.Redis.", StringComparison.Ordinal);
}
