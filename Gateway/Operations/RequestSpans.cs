using System.Diagnostics;

namespace Tribuo.Gateway.Operations;

/// <summary>
/// Spans carry paths, never query strings: a query can hold <c>?token=</c>, and a span is as readable as a
/// log line (DESIGN §8). The instrumentations record the query as <c>url.query</c> and inside <c>url.full</c>, and
/// the path as <c>url.path</c>, which on the check-token endpoints is the token (<see cref="LoggedPath"/>).
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
            span.SetTag("url.full", uri.GetLeftPart(UriPartial.Path));
        }
    }
}
