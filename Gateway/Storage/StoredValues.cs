namespace Tribuo.Gateway.Storage;

/// <summary>How every backend writes lists and times, so records look the same in SQLite and Redis.</summary>
internal static class StoredValues
{
    public static string JoinList(IReadOnlyList<string> values) => string.Join(' ', values);

    public static string[] SplitList(string? text) =>
        string.IsNullOrEmpty(text) ? [] : text.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    public static string JoinRateLimits(IReadOnlyList<RateLimits.RateLimit> limits) => string.Join(' ', limits.Select(l => l.Text));

    public static RateLimits.RateLimit[] SplitRateLimits(string? text) => SplitList(text).Select(RateLimits.RateLimit.Parse).ToArray();

    public static DateTimeOffset? FromMilliseconds(long? milliseconds) =>
        milliseconds is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;

    /// <summary>A time column as the users' database returns it: Unix milliseconds on SQLite, <c>timestamptz</c> on PostgreSQL.</summary>
    public static DateTimeOffset FromDatabaseTime(object? value) => value switch
    {
        long ms => DateTimeOffset.FromUnixTimeMilliseconds(ms),
        DateTime time => new DateTimeOffset(DateTime.SpecifyKind(time, DateTimeKind.Utc)),
        DateTimeOffset time => time,
        _ => DateTimeOffset.UnixEpoch,
    };

    /// <summary>A value to put inside a <c>LIKE … ESCAPE '\'</c> pattern, its wildcards escaped (both databases).</summary>
    public static string EscapeLike(string? value) =>
        (value ?? "").Trim().Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);
}
