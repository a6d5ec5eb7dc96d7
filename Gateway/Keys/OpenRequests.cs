using System.Collections.Concurrent;

namespace Tribuo.Gateway.Keys;

/// <summary>
/// The proxied requests still open on this instance, with the credential each was let in with, so that a
/// WebSocket or a stream opened with a key or token that is later revoked, disabled, rotated or expires can
/// be closed (DESIGN §4). Registering is one dictionary entry per request; the checks run elsewhere
/// (<see cref="Proxy.OpenRequestsWatch"/>), woken by <see cref="Recheck"/> or every second.
/// </summary>
internal sealed class OpenRequests
{
    private readonly ConcurrentDictionary<long, OpenRequest> _open = new();
    private long _next;
    private TaskCompletionSource _recheck = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ICollection<OpenRequest> Current => _open.Values;

    public Registration Track(HttpContext context, CachedKey? key, string? token, Routes.RoutePolicy policy)
    {
        var id = Interlocked.Increment(ref _next);
        _open[id] = new OpenRequest(context, key, token, policy);
        return new Registration(this, id);
    }

    /// <summary>Asks for the open requests to be checked now rather than at the next tick.</summary>
    public void Recheck() => _recheck.TrySetResult();

    /// <summary>Completes on the next <see cref="Recheck"/> call.</summary>
    public Task NextRecheck()
    {
        var current = _recheck;
        if (current.Task.IsCompleted)
        {
            Interlocked.CompareExchange(ref _recheck, new(TaskCreationOptions.RunContinuationsAsynchronously), current);
        }

        return _recheck.Task;
    }

    public readonly struct Registration(OpenRequests owner, long id) : IDisposable
    {
        public void Dispose() => owner._open.TryRemove(id, out _);
    }
}

/// <summary>
/// One open request: its cached key (checked again by hash), or a user token (a key tied to a user is followed as a
/// key), and the route's policy it was admitted under, all read when it was admitted (never from its context later).
/// </summary>
internal sealed record OpenRequest(HttpContext Context, CachedKey? Key, string? Token, Routes.RoutePolicy Policy);
