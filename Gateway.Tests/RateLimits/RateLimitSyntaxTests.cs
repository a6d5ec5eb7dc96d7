using Tribuo.Gateway.RateLimits;
using Xunit;

namespace Tribuo.Gateway.Tests.RateLimits;

public sealed class RateLimitSyntaxTests
{
    [Theory]
    [InlineData("600/1m", 600, 60)]
    [InlineData("10/1s", 10, 1)]
    [InlineData("50000/1d", 50000, 86400)]
    [InlineData("5/24h", 5, 86400)]
    [InlineData(" 50/10s ", 50, 10)]
    public void Valid_limits_parse_to_a_count_and_a_window(string text, long count, int seconds)
    {
        Assert.True(RateLimit.TryParse(text, out var limit, out var error), error);
        Assert.Equal(count, limit.Count);
        Assert.Equal(TimeSpan.FromSeconds(seconds), limit.Window);
        Assert.Equal(text.Trim(), limit.Text);
    }

    [Theory]
    [InlineData("", "not a rate limit")]
    [InlineData("100", "not a rate limit")]
    [InlineData("100/s", "not a rate limit")]
    [InlineData("100/1", "not a rate limit")]
    [InlineData("100/1w", "not a rate limit")]
    [InlineData("100/1M", "not a rate limit")]
    [InlineData("-1/1s", "not a rate limit")]
    [InlineData("1.5/1s", "not a rate limit")]
    [InlineData("100 / 1s", "not a rate limit")]
    [InlineData("0/1s", "between 1 and")]
    [InlineData("2000000000/1s", "between 1 and")]
    [InlineData("1/0s", "between 1s and 1d")]
    [InlineData("1/2d", "between 1s and 1d")]
    [InlineData("1/25h", "between 1s and 1d")]
    [InlineData("1/1441m", "between 1s and 1d")]
    public void Invalid_limits_are_refused_saying_why(string text, string phrase)
    {
        Assert.False(RateLimit.TryParse(text, out _, out var error));
        Assert.Contains(phrase, error, StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => RateLimit.Parse(text));
    }
}
