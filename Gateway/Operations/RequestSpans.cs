using System.Diagnostics;

namespace Tribuo.Gateway.Operations;

/// <summary>
/// Spans carry paths, never query strings: a query can hold <c>?token=</c>, and a span is as readable as a
/// log line (DESIGN §8). The instrumentations record the query as <c>url.query</c> and inside <c>url.full</c>, and
/// the path as <c>url.path</c>, which on the check-token endpoints is the token, and may hold one elsewhere by a
/// client's mistake (<see cref="LoggedPath"/>); the upstream call's <c>url.full</c> is masked the same way.
/// </summary>
internal static class RequestSpans
{
    public static void WithoutQuery(Activity span, HttpRequest request)
    {
        span.SetTag("url.query", null);
        span.SetTag("url.path", LoggedPath.Of(request));
    }

    public static void WithoutQuery(Activity span, HttpRequestMessage request)
    {
        if (request.RequestUri is { IsAbsoluteUri: true } uri)
        {
            // The forwarded path, masked as the server span's (an outside probe: a JWT or a tgw_ key in a path reached
            // the collector in clear through the upstream call's url.full).
            span.SetTag("url.full", uri.GetLeftPart(UriPartial.Authority) + LoggedPath.Of(uri.AbsolutePath));
        }
    }
}
