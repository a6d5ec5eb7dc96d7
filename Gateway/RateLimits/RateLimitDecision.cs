namespace Tribuo.Gateway.RateLimits;

/// <summary>One limit applied to one caller: <see cref="Counter"/> names the count it shares with every instance.</summary>
internal sealed record LimitedCounter(string Counter, RateLimit Limit, string Description)
{
    /// <summary>The <c>RateLimit-Limit</c> header's value.</summary>
    public string LimitHeader { get; } = Limit.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>Where one limit stands after a decision: what is left, and when that grows again.</summary>
/// <param name="Remaining">Requests still allowed now (0 when this limit refused the request).</param>
/// <param name="ResetAfter">When the count next goes down; for a refusing limit, when a request passes again.</param>
/// <param name="Refused">This limit is reached.</param>
internal readonly record struct LimitState(long Remaining, TimeSpan ResetAfter, bool Refused);

/// <summary>
/// The answer for all the limits of one request, taken together: either every counter counted the request,
/// or none did, so a request refused by one limit never spends another's budget.
/// </summary>
internal sealed class RateLimitDecision(IReadOnlyList<LimitedCounter> counters, IReadOnlyList<LimitState> states)
{
    public bool Allowed { get; } = states.All(s => !s.Refused);

    public IReadOnlyList<LimitedCounter> Counters => counters;

    public IReadOnlyList<LimitState> States => states;

    /// <summary>
    /// The limit the headers describe: when refused, the refusing limit that frees up last (the request passes only
    /// once all have); otherwise the one with the fewest requests left.
    /// </summary>
    public (LimitedCounter Counter, LimitState State) Tightest
    {
        get
        {
            var best = 0;
            for (var i = 1; i < states.Count; i++)
            {
                var (candidate, current) = (states[i], states[best]);
                var tighter = Allowed
                    ? candidate.Remaining < current.Remaining || (candidate.Remaining == current.Remaining && candidate.ResetAfter > current.ResetAfter)
                    : candidate.Refused && (!current.Refused || candidate.ResetAfter > current.ResetAfter);
                if (tighter)
                {
                    best = i;
                }
            }

            return (counters[best], states[best]);
        }
    }
}
