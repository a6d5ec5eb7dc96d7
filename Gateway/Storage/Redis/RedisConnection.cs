using StackExchange.Redis;

namespace Tribuo.Gateway.Storage.Redis;

/// <summary>
/// The one place that knows the Redis client (StackExchange.Redis 2.x), so an upgrade touches one folder. Connects
/// lazily and with <c>abortConnect=false</c>: the gateway starts, and recovers by itself, while Redis is down. The
/// configuration string is the client's own, so ACL users (<c>user=</c>/<c>password=</c>), TLS (<c>ssl=true</c>) and
/// Sentinel (<c>serviceName=</c> with the sentinels' endpoints) work as its documentation says.
/// </summary>
internal sealed class RedisConnection : IStoreCheck, IDisposable
{
    /// <summary>Every key the gateway writes starts with this, so a shared Redis stays readable.</summary>
    public const string Prefix = "tgw:";

    private readonly Lazy<Task<ConnectionMultiplexer>> _multiplexer;

    /// <summary>
    /// At most this long between reconnect attempts (the client checks on its 1 s heartbeat), so service is whole
    /// within about 3 s of Redis answering again; the client's default backs off exponentially to far longer.
    /// </summary>
    private const int ReconnectEveryMilliseconds = 1000;

    /// <summary>Connecting gives up after this long unless the configuration says otherwise (the client's default is 5 s).</summary>
    private const int DefaultConnectTimeoutMilliseconds = 2000;

    /// <param name="configuration">The StackExchange.Redis configuration string; an unknown keyword is an error naming it.</param>
    /// <param name="trustedCertificateFile">PEM certificate of the CA (or the self-signed certificate) Redis's TLS certificate must chain to; null: the system's trust store.</param>
    public RedisConnection(string configuration, string? trustedCertificateFile = null)
    {
        ConfigurationOptions options;
        try
        {
            options = ConfigurationOptions.Parse(configuration);
        }
        catch (ArgumentException ex)
        {
            // The client's message names the keyword (never the value, so never a password).
            throw new ArgumentException($"{ex.Message} StackExchange.Redis's keywords include user, password, ssl, serviceName and connectTimeout.", ex);
        }

        CheckEndpoints(configuration, options);
        options.AbortOnConnectFail = false;
        options.ReconnectRetryPolicy = new LinearRetry(ReconnectEveryMilliseconds);
        if (!configuration.Contains("connectTimeout", StringComparison.OrdinalIgnoreCase))
        {
            options.ConnectTimeout = DefaultConnectTimeoutMilliseconds;
        }

        if (trustedCertificateFile is not null)
        {
            try
            {
                options.TrustIssuer(trustedCertificateFile);
            }
            catch (Exception ex) when (ex is IOException or System.Security.Cryptography.CryptographicException)
            {
                throw new ArgumentException($"Gateway:Redis:TrustedCertificate: '{trustedCertificateFile}' is not a readable PEM certificate ({ex.Message}).", ex);
            }
        }

        _multiplexer = new Lazy<Task<ConnectionMultiplexer>>(() => ConnectionMultiplexer.ConnectAsync(options));
    }

    /// <summary>
    /// The client drops an item it cannot read as an endpoint (<c>127.0.0.1:abc</c>) without a word and fails only when it
    /// connects ("No endpoints specified", from a background service): here each is an error naming it. Items with
    /// <c>=</c> are options, which may hold a password, and are never echoed.
    /// </summary>
    private static void CheckEndpoints(string configuration, ConfigurationOptions parsed)
    {
        foreach (var item in configuration.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!item.Contains('=', StringComparison.Ordinal) && ConfigurationOptions.Parse(item).EndPoints.Count != 1)
            {
                throw new ArgumentException($"ConnectionStrings:Redis: '{item}' is not an endpoint; write host or host:port (port 1-65535), e.g. 127.0.0.1:6379.");
            }
        }

        if (parsed.EndPoints.Count == 0)
        {
            throw new ArgumentException("ConnectionStrings:Redis: no endpoint in it; write host or host:port, e.g. 127.0.0.1:6379 (with Sentinel, the sentinels' endpoints and serviceName=...).");
        }
    }

    public string Name => "redis";

    public async Task<IDatabase> GetDatabaseAsync() => (await _multiplexer.Value).GetDatabase();

    public Task<ConnectionMultiplexer> GetMultiplexerAsync() => _multiplexer.Value;

    public async Task<string?> CheckAsync(CancellationToken cancellationToken)
    {
        try
        {
            var database = await GetDatabaseAsync();
            await database.PingAsync();
            return null;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // The exception text can carry the endpoint list but never the password; still, keep it short.
            return $"redis is unreachable ({ex.GetType().Name})";
        }
    }

    public void Dispose()
    {
        if (_multiplexer.IsValueCreated && _multiplexer.Value.IsCompletedSuccessfully)
        {
            _multiplexer.Value.Result.Dispose();
        }
    }
}
