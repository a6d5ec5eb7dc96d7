using System.Collections.Concurrent;

namespace Tribuo.Gateway.Users;

/// <summary>
/// Users looked up by id on the request path: the owner of a key tied to a user, and the person behind a
/// session or Bearer token, whose role, company and existence are those of the store, not of the token.
/// Cached briefly: a role change or a deletion applies within <see cref="Ttl"/> (DESIGN §5: 30 s). While the
/// store cannot be asked, the user as last read keeps working (DESIGN §8: each store degrades only what needs it).
/// </summary>
internal sealed class UserDirectory(IUserStore users, TimeProvider time)
{
    public static readonly TimeSpan Ttl = TimeSpan.FromSeconds(30);
    private const int MaxEntries = 50_000;

    private readonly ConcurrentDictionary<string, (User? User, long At)> _cache = new(StringComparer.Ordinal);

    /// <summary>
    /// The user as the store has them now, for decisions that must not lag (the operators' console: a demoted admin
    /// kept its power for 30 s, long enough to restore their role and demote the one who demoted them: an outside
    /// probe). Refreshes the cached entry; throws when the store cannot be asked.
    /// </summary>
    public async ValueTask<User?> GetCurrentAsync(string id)
    {
        var user = await users.GetAsync(id);
        _cache[id] = (user, time.GetTimestamp());
        return user;
    }

    /// <summary>The user, or null when there is none; throws when the store cannot be asked and nothing is cached.</summary>
    public async ValueTask<User?> GetAsync(string id)
    {
        var cached = _cache.TryGetValue(id, out var entry);
        if (cached && time.GetElapsedTime(entry.At) < Ttl)
        {
            return entry.User;
        }

        User? user;
        try
        {
            user = await users.GetAsync(id);
        }
        catch (Exception) when (cached)
        {
            return entry.User;
        }

        if (_cache.Count >= MaxEntries)
        {
            _cache.Clear();
        }

        _cache[id] = (user, time.GetTimestamp());
        return user;
    }
}
