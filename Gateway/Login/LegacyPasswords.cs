using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Tribuo.Gateway.Login;

/// <summary>
/// Password hashes of accounts from before SSO, in Django's PBKDF2 format:
/// <c>pbkdf2_sha256$&lt;iterations&gt;$&lt;salt&gt;$&lt;base64 hash&gt;</c> (salt used as its UTF-8 bytes, hash
/// 32 bytes). Compared in constant time; an unknown account costs the same work as a known one.
/// </summary>
internal static class LegacyPasswordHash
{
    private const string Prefix = "pbkdf2_sha256";

    /// <summary>Today's minimum cost (Django 4.2's default; 5.0 uses 720,000, 5.1 870,000, 5.2 1,000,000); every check costs at least this much.</summary>
    public const int CurrentIterations = 600_000;

    private static readonly string Dummy = Create("not-a-password", "dummy-salt-value", CurrentIterations);

    public static string Create(string password, string salt, int iterations) =>
        $"{Prefix}${iterations}${salt}${Convert.ToBase64String(Derive(password, salt, iterations))}";

    public static string CreateCurrent(string password) =>
        Create(password, Convert.ToHexString(RandomNumberGenerator.GetBytes(12)).ToLowerInvariant(), CurrentIterations);

    /// <summary>
    /// Whether a stored hash is cheaper than today's (rehashed after the next good login). A stronger one (a
    /// later Django's default) is kept: rewriting it to <see cref="CurrentIterations"/> would weaken it.
    /// </summary>
    public static bool NeedsRehash(string? stored) =>
        stored?.Split('$') is not [Prefix, var iterations, _, _]
        || !int.TryParse(iterations, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var count)
        || count < CurrentIterations;

    public static bool Verify(string password, string? stored)
    {
        var parts = (stored ?? Dummy).Split('$');
        var wellFormed = parts.Length == 4 && parts[0] == Prefix && int.TryParse(parts[1], out var iterations) && iterations is >= 1_000 and <= 10_000_000;
        if (!wellFormed)
        {
            parts = Dummy.Split('$');
        }

        byte[] expected;
        try
        {
            expected = Convert.FromBase64String(parts[3]);
        }
        catch (FormatException)
        {
            expected = new byte[32];
            wellFormed = false;
        }

        var iterationsUsed = int.Parse(parts[1]);
        var actual = Derive(password, parts[2], iterationsUsed);
        if (iterationsUsed < CurrentIterations)
        {
            // An account with older, cheaper parameters must not answer faster than an unknown one (enumeration).
            Derive(password, "timing-padding", CurrentIterations - iterationsUsed);
        }

        return CryptographicOperations.FixedTimeEquals(actual, expected) && wellFormed && stored is not null;
    }

    private static byte[] Derive(string password, string salt, int iterations) =>
        Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), Encoding.UTF8.GetBytes(salt), iterations, HashAlgorithmName.SHA256, 32);
}

/// <summary>
/// Password attempts, per account and per client address (the client's, behind trusted proxies), in a
/// sliding window. An attempt is reserved before the hash is computed, so parallel guesses cannot all pass
/// the limit; a good password clears the account's count. The table is bounded: entries whose window has
/// passed are dropped, and beyond <see cref="MaxKeys"/> keys the oldest go first. Kept in memory per instance:
/// behind N instances an attacker gets at most N times the limit, which still stops guessing.
/// </summary>
internal sealed class PasswordAttempts(LoginOptions options, TimeProvider time)
{
    public const int MaxKeys = 100_000;

    private readonly ConcurrentDictionary<string, ConcurrentQueue<long>> _attempts = new(StringComparer.Ordinal);
    private readonly Lock _reserve = new();

    /// <summary>Counts an attempt for the account and the address; false (nothing counted) when either is locked.</summary>
    public bool TryReserve(string account, string address)
    {
        lock (_reserve)
        {
            if (Count("a:" + account) >= options.PasswordFailureLimit || Count("ip:" + address) >= options.PasswordFailureLimit * 4)
            {
                return false;
            }

            if (_attempts.Count >= MaxKeys)
            {
                Sweep();
            }

            var now = time.GetTimestamp();
            _attempts.GetOrAdd("a:" + account, _ => new()).Enqueue(now);
            _attempts.GetOrAdd("ip:" + address, _ => new()).Enqueue(now);
            return true;
        }
    }

    public void Reset(string account) => _attempts.TryRemove("a:" + account, out _);

    public int Keys => _attempts.Count;

    private void Sweep()
    {
        foreach (var key in _attempts.Keys)
        {
            Count(key);
        }

        // Still full of live entries: drop the oldest, so the table never grows without bound.
        var excess = _attempts.Count - MaxKeys / 2;
        if (excess > 0)
        {
            foreach (var key in _attempts.OrderBy(p => p.Value.TryPeek(out var at) ? at : long.MaxValue).Take(excess).Select(p => p.Key).ToArray())
            {
                _attempts.TryRemove(key, out _);
            }
        }
    }

    private int Count(string key)
    {
        if (!_attempts.TryGetValue(key, out var queue))
        {
            return 0;
        }

        while (queue.TryPeek(out var oldest) && time.GetElapsedTime(oldest) > options.PasswordFailureWindow)
        {
            queue.TryDequeue(out _);
        }

        if (queue.IsEmpty)
        {
            _attempts.TryRemove(key, out _);
            return 0;
        }

        return queue.Count;
    }
}

/// <summary>
/// Whether the password form is offered (issue 8, "also"): as configured, else while legacy accounts exist,
/// asked of the store at most once a minute.
/// </summary>
internal sealed class LegacyPasswordsSwitch(LoginOptions options, Users.IUserStore users, TimeProvider time)
{
    private static readonly TimeSpan Refresh = TimeSpan.FromMinutes(1);
    private volatile Known? _known;

    private sealed record Known(bool On, long At);

    public async ValueTask<bool> IsOnAsync(CancellationToken cancellationToken)
    {
        if (options.LegacyPasswords is { } configured)
        {
            return configured;
        }

        if (_known is { } known && time.GetElapsedTime(known.At) < Refresh)
        {
            return known.On;
        }

        try
        {
            var on = await users.HasLegacyPasswordsAsync(cancellationToken);
            _known = new Known(on, time.GetTimestamp());
            return on;
        }
        catch (Exception ex) when (Storage.StoreErrors.IsNotOwnCancellation(ex, cancellationToken))
        {
            return _known?.On ?? false;
        }
    }
}
