using System.Collections.Concurrent;

namespace Tribuo.Gateway.Users;

/// <summary>
/// Users looked up by id for keys tied to them (a user's API token is checked against the route's roles and
/// companies like the user). Cached briefly: a role change applies within <see cref="Ttl"/>.
/// </summary>
internal sealed class UserDirectory(IUserStore users, TimeProvider time)
{
    public static readonly TimeSpan Ttl = TimeSpan.FromSeconds(30);
    private const int MaxEntries = 50_000;

    private readonly ConcurrentDictionary<string, (User? User, long At)> _cache = new(StringComparer.Ordinal);

    /// <summary>The user, or null when there is none; throws when the store cannot be asked and nothing is cached.</summary>
    public async ValueTask<User?> GetAsync(string id)
    {
        if (_cache.TryGetValue(id, out var entry) && time.GetElapsedTime(entry.At) < Ttl)
        {
            return entry.User;
        }

        var user = await users.GetAsync(id);
        if (_cache.Count >= MaxEntries)
        {
            _cache.Clear();
        }

        _cache[id] = (user, time.GetTimestamp());
        return user;
    }
}
