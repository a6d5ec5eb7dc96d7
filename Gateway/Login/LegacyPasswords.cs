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
    private static readonly string Dummy = Create("not-a-password", "dummy-salt-value", 600_000);

    public static string Create(string password, string salt, int iterations) =>
        $"{Prefix}${iterations}${salt}${Convert.ToBase64String(Derive(password, salt, iterations))}";

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

        var actual = Derive(password, parts[2], int.Parse(parts[1]));
        return CryptographicOperations.FixedTimeEquals(actual, expected) && wellFormed && stored is not null;
    }

    private static byte[] Derive(string password, string salt, int iterations) =>
        Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), Encoding.UTF8.GetBytes(salt), iterations, HashAlgorithmName.SHA256, 32);
}

/// <summary>
/// Failed password attempts, per account and per client address, in a sliding window. Kept in memory per
/// instance: behind N instances an attacker gets at most N times the limit, which still stops guessing.
/// </summary>
internal sealed class PasswordAttempts(LoginOptions options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, ConcurrentQueue<long>> _failures = new(StringComparer.Ordinal);

    public bool IsLocked(string account, string address) => Count("a:" + account) >= options.PasswordFailureLimit || Count("ip:" + address) >= options.PasswordFailureLimit * 4;

    public void RecordFailure(string account, string address)
    {
        var now = time.GetTimestamp();
        _failures.GetOrAdd("a:" + account, _ => new()).Enqueue(now);
        _failures.GetOrAdd("ip:" + address, _ => new()).Enqueue(now);
    }

    public void Reset(string account) => _failures.TryRemove("a:" + account, out _);

    private int Count(string key)
    {
        if (!_failures.TryGetValue(key, out var queue))
        {
            return 0;
        }

        while (queue.TryPeek(out var oldest) && time.GetElapsedTime(oldest) > options.PasswordFailureWindow)
        {
            queue.TryDequeue(out _);
        }

        return queue.Count;
    }
}
