using System.Net;

namespace Tribuo.Gateway.Operations;

/// <summary>
/// One line per request in category <c>Tribuo.Gateway.Access</c> (DESIGN §8). The source-generated logger
/// keeps the values in a struct and formats nothing unless a provider writes the line; the path never has
/// its query string (which can carry <c>?token=</c>) and the caller is an id, never a credential.
/// </summary>
internal static partial class AccessLog
{
    public const string Category = "Tribuo.Gateway.Access";

    public const int EventId = 900;

    [LoggerMessage(EventId = EventId, Level = LogLevel.Information,
        Message = "{Method} {Path} {Status} {DurationMs:0.0}ms client={Client} route={Route} caller={Caller} upstream={Upstream} reason={Reason}")]
    public static partial void Request(ILogger logger, string method, string path, int status, double durationMs, IPAddress? client,
        string route, string caller, string upstream, string reason);
}
