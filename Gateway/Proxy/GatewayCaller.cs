namespace Tribuo.Gateway.Proxy;

/// <summary>
/// Who the access step let through, as the identity transforms need it: header values computed once, and
/// the browser origin to answer CORS for. One small object per authenticated request.
/// </summary>
internal sealed class GatewayCaller
{
    public string? KeyId { get; init; }
    public string? KeyScopes { get; init; }
    /// <summary>Set when a site key was used from an allowed browser origin: the response must allow it.</summary>
    public string? CorsOrigin { get; init; }
}
