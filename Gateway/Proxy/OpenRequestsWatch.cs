using Tribuo.Gateway.Keys;
using Tribuo.Gateway.Tokens;

namespace Tribuo.Gateway.Proxy;

/// <summary>
/// Closes open requests whose credential stopped being valid: every second, and at once when a key change
/// is heard. Each distinct key or token is checked once per pass, through the same cache the request path
/// uses, so a pass costs a store read only for keys that changed. A closed request is aborted
/// (<see cref="HttpContext.Abort"/>): the client's connection and YARP's upstream one go together.
/// </summary>
internal sealed partial class OpenRequestsWatch(OpenRequests open, KeyAuthenticator keys, TokenService tokens, TimeProvider time,
    ILogger<OpenRequestsWatch> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var recheck = open.NextRecheck();
            try
            {
                await CheckAsync();
            }
            catch (Exception ex) when (Storage.StoreErrors.IsNotOwnCancellation(ex, stoppingToken))
            {
                Log.CheckFailed(logger, ex.GetType().Name);
            }

            await Task.WhenAny(recheck, Task.Delay(Interval, time, stoppingToken));
        }
    }

    public async Task CheckAsync()
    {
        var requests = open.Current;
        if (requests.Count == 0)
        {
            return;
        }

        var keyVerdicts = new Dictionary<UInt128, (bool Valid, CachedKey? Now)>();
        var tokenVerdicts = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var request in requests)
        {
            bool valid;
            if (request.Key is { } key)
            {
                var address = KeyCache.Address(key.Hash);
                if (!keyVerdicts.TryGetValue(address, out var verdict))
                {
                    var result = await keys.AuthenticateHashAsync(key.Hash);
                    verdict = (StillValid(result.Status), result.Status == KeyStatus.Active ? result.Key : null);
                    keyVerdicts[address] = verdict;
                }

                valid = verdict.Valid && (verdict.Now is null || StillReaches(request.Policy, verdict.Now));
            }
            else if (request.Token is { } token)
            {
                if (!tokenVerdicts.TryGetValue(token, out valid))
                {
                    valid = await tokens.ValidateCachedAsync(token) is not null;
                    tokenVerdicts[token] = valid;
                }
            }
            else
            {
                continue;
            }

            if (!valid)
            {
                Log.Closed(logger, request.Key is null ? "token" : "key");
                request.Context.Abort();
            }
        }
    }

    /// <summary>
    /// A key whose scopes were changed so that it no longer reaches the route it was admitted on is closed there too:
    /// new requests already get 403, and a stream must not outlive the permission it was opened with.
    /// </summary>
    private static bool StillReaches(Routes.RoutePolicy policy, CachedKey key) =>
        policy.Auth is not (Routes.AuthMode.Key or Routes.AuthMode.Any)
            || (policy.Scopes.Count == 0 ? key.HasAllScopes : key.HoldsAnyOf(policy.Scopes));

    /// <summary>
    /// Closed when the store says the key is no longer valid (revoked, disabled, rotated away, expired), not when the
    /// store cannot be asked: that is no news about the key. New requests past the stale window are refused with
    /// 503; the ones already admitted stay open, and the first answer after the outage decides (a reconnect
    /// rechecks every open request). Aborting on "unavailable" closed every WebSocket on a store blip, and reset
    /// ordinary requests in flight while the circuit was still open after the store came back.
    /// </summary>
    private static bool StillValid(KeyStatus status) => status is KeyStatus.Active or KeyStatus.Unavailable;

    private static partial class Log
    {
        [LoggerMessage(EventId = 350, Level = LogLevel.Information, Message = "Open request closed: its {Kind} is no longer valid")]
        public static partial void Closed(ILogger logger, string kind);

        [LoggerMessage(EventId = 351, Level = LogLevel.Warning, Message = "Checking open requests failed ({Kind})")]
        public static partial void CheckFailed(ILogger logger, string kind);
    }
}
