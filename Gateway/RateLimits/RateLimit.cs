using System.Globalization;
using System.Text.RegularExpressions;

namespace Tribuo.Gateway.RateLimits;

/// <summary>
/// At most <see cref="Count"/> requests in any <see cref="Window"/> (sliding, not fixed buckets), written
/// <c>&lt;count&gt;/&lt;window&gt;</c> as in <c>600/1m</c>, <c>10/1s</c>, <c>50000/1d</c> (DESIGN §3, §4).
/// </summary>
internal sealed partial record RateLimit
{
    public static readonly TimeSpan ShortestWindow = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan LongestWindow = TimeSpan.FromDays(1);

    /// <summary>A count this large is a typo, and would overflow the counters' arithmetic long before it means anything.</summary>
    public const long MostRequests = 1_000_000_000;

    private RateLimit(long count, TimeSpan window, string text)
    {
        Count = count;
        Window = window;
        Text = text;
    }

    public long Count { get; }
    public TimeSpan Window { get; }

    /// <summary>The limit as the operator wrote it, normalized (<c>100/1s</c>); what answers and logs name.</summary>
    public string Text { get; }

    public override string ToString() => Text;

    [GeneratedRegex("^([0-9]{1,10})/([0-9]{1,6})([smhd])$")]
    private static partial Regex Syntax();

    /// <summary>Parses <c>&lt;count&gt;/&lt;window&gt;</c>; on failure <paramref name="error"/> says what is wrong.</summary>
    public static bool TryParse(string? text, out RateLimit limit, out string error)
    {
        limit = null!;
        var match = Syntax().Match(text?.Trim() ?? "");
        if (!match.Success)
        {
            error = $"'{text}' is not a rate limit; write <count>/<window> such as 100/1s, 600/1m, 5000/1h or 100000/1d.";
            return false;
        }

        var count = long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        var amount = long.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture);
        var unit = match.Groups[3].Value;
        var window = unit switch
        {
            "s" => TimeSpan.FromSeconds(amount),
            "m" => TimeSpan.FromMinutes(amount),
            "h" => TimeSpan.FromHours(amount),
            _ => TimeSpan.FromDays(amount),
        };
        if (count < 1 || count > MostRequests)
        {
            error = $"'{text}': the count must be between 1 and {MostRequests}.";
            return false;
        }

        if (window < ShortestWindow || window > LongestWindow)
        {
            error = $"'{text}': the window must be between 1s and 1d.";
            return false;
        }

        limit = new RateLimit(count, window, $"{count}/{amount}{unit}");
        error = "";
        return true;
    }

    /// <summary>For values that were validated when they were stored; a corrupt one must not be read as "no limit".</summary>
    public static RateLimit Parse(string text) =>
        TryParse(text, out var limit, out var error) ? limit : throw new FormatException(error);
}
