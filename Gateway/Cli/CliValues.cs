using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.RegularExpressions;
using Tribuo.Gateway.RateLimits;

namespace Tribuo.Gateway.Cli;

/// <summary>Typed options shared by the verbs, each refusing a bad value with a sentence naming the option.</summary>
internal static partial class CliValues
{
    /// <summary>A comma-separated list; the option may also be repeated (<c>--scopes a --scopes b,c</c>).</summary>
    public static Option<string[]> List(string name, string description, bool required = false) => new(name)
    {
        Description = description + " (comma-separated, or the option repeated)",
        Required = required,
        Arity = ArgumentArity.OneOrMore,
        HelpName = "a,b",
        CustomParser = result => result.Tokens
            .SelectMany(t => t.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .ToArray(),
    };

    /// <summary><c>&lt;count&gt;/&lt;window&gt;</c> (<c>100/1s</c>), the option repeated for several limits.</summary>
    public static Option<string[]> RateLimits(string name, string description) => new(name)
    {
        Description = description + " (repeat the option for several limits)",
        Arity = ArgumentArity.OneOrMore,
        HelpName = "100/1s",
        CustomParser = result =>
        {
            foreach (var token in result.Tokens)
            {
                if (!RateLimit.TryParse(token.Value, out _, out var error))
                {
                    result.AddError($"{name}: {error}");
                }
            }

            return result.Tokens.Select(t => t.Value).ToArray();
        },
    };

    /// <summary>A date (<c>2027-01-01</c>, read as UTC midnight) or a date and time with an offset (<c>2027-01-01T12:00:00Z</c>).</summary>
    public static Option<DateTimeOffset?> Date(string name, string description) => new(name)
    {
        Description = description,
        HelpName = "2027-01-01",
        CustomParser = result =>
        {
            var text = result.Tokens.Single().Value;
            if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var date))
            {
                return date;
            }

            result.AddError($"{name}: '{text}' is not a date; write 2027-01-01 or 2027-01-01T12:00:00Z.");
            return null;
        },
    };

    /// <summary>A duration: a number and a unit (<c>90d</c>, <c>12h</c>, <c>30m</c>, <c>45s</c>).</summary>
    public static Option<TimeSpan?> Duration(string name, string description) => new(name)
    {
        Description = description,
        HelpName = "90d|12h|30m|45s",
        CustomParser = result =>
        {
            var text = result.Tokens.Single().Value;
            if (TryParseDuration(text, out var duration) && duration > TimeSpan.Zero)
            {
                return duration;
            }

            result.AddError($"{name}: '{text}' is not a duration; write a positive number and a unit: 90d, 12h, 30m or 45s.");
            return null;
        },
    };

    public static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = default;
        var match = DurationPattern().Match(text);
        if (!match.Success || !long.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count > 100_000)
        {
            return false;
        }

        duration = match.Groups[2].Value switch
        {
            "ms" => TimeSpan.FromMilliseconds(count),
            "s" => TimeSpan.FromSeconds(count),
            "m" => TimeSpan.FromMinutes(count),
            "h" => TimeSpan.FromHours(count),
            _ => TimeSpan.FromDays(count),
        };
        return true;
    }

    [GeneratedRegex("^([0-9]{1,6})(ms|s|m|h|d)$")]
    private static partial Regex DurationPattern();
}
