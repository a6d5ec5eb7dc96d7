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

    /// <param name="configuration">The StackExchange.Redis configuration string; an unknown keyword is an error naming it (see <see cref="Parse"/>).</param>
    /// <param name="trustedCertificateFile">PEM certificate of the CA (or the self-signed certificate) Redis's TLS certificate must chain to; null: the system's trust store.</param>
    public RedisConnection(string configuration, string? trustedCertificateFile = null)
    {
        var options = Parse(configuration);
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
    /// The configuration string, each item read on its own so that an error can say which one. The client's own messages
    /// are never passed on (they quote values), and an item is named only while no <c>password=</c> comes before it: the
    /// client splits the string at every <c>,</c>, so what follows a password may be the rest of it
    /// (<c>password=abc,def:ghi</c> reads <c>def:ghi</c> as an endpoint). A value is never repeated (DESIGN §8). An endpoint
    /// the client would drop without a word (<c>127.0.0.1:abc</c>, then "No endpoints specified" from a background
    /// service) is an error too.
    /// </summary>
    private static ConfigurationOptions Parse(string configuration)
    {
        var afterPassword = false;
        foreach (var item in configuration.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = item.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                var keyword = item[..equals].Trim();
                if (!Reads(item, ignoreUnknown: false))
                {
                    throw Refused(afterPassword, Reads(item, ignoreUnknown: true)
                        ? $"'{keyword}' is not a keyword StackExchange.Redis knows; its keywords include user, password, ssl, serviceName and connectTimeout"
                        : $"'{keyword}' has a value StackExchange.Redis cannot read (a connection string's values are not repeated here)");
                }

                afterPassword |= keyword.Equals("password", StringComparison.OrdinalIgnoreCase);
            }
            else if (!IsEndpoint(item))
            {
                throw Refused(afterPassword, $"'{item}' is not an endpoint; write host or host:port (port 1-65535), e.g. 127.0.0.1:6379");
            }
        }

        ConfigurationOptions options;
        try
        {
            options = ConfigurationOptions.Parse(configuration);
        }
        catch (ArgumentException)
        {
            // Each item was read above; kept so that no message of the client's ever reaches the console.
            throw new ArgumentException("ConnectionStrings:Redis: StackExchange.Redis cannot read it (its message is not repeated: it may quote a password).");
        }

        if (options.EndPoints.Count == 0)
        {
            throw new ArgumentException("ConnectionStrings:Redis: no endpoint in it; write host or host:port, e.g. 127.0.0.1:6379 (with Sentinel, the sentinels' endpoints and serviceName=...).");
        }

        return options;
    }

    /// <summary>
    /// The error for an item: naming it when no password comes before it, else saying only where it is. No inner
    /// exception: startup validation prints every message of the chain.
    /// </summary>
    private static ArgumentException Refused(bool afterPassword, string problem) => new(afterPassword
        ? "ConnectionStrings:Redis: an item after password= is not an endpoint (host or host:port) or an option StackExchange.Redis can read. "
          + "It is not repeated here, since it may be the rest of the password: the client splits the string at every ',', so a password written in it cannot hold one."
        : $"ConnectionStrings:Redis: {problem}.");

    private static bool Reads(string item, bool ignoreUnknown)
    {
        try
        {
            ConfigurationOptions.Parse(item, ignoreUnknown);
            return true;
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException)
        {
            return false;
        }
    }

    private static bool IsEndpoint(string item)
    {
        try
        {
            return ConfigurationOptions.Parse(item).EndPoints.Count == 1;
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException)
        {
            return false; // a port above 65535, which the client's message quotes
        }
    }

    public string Name => "redis";

    public async Task<IDatabase> GetDatabaseAsync() => (await _multiplexer.Value).GetDatabase();

    public Task<ConnectionMultiplexer> GetMultiplexerAsync() => _multiplexer.Value;

    public async Task<string?> CheckAsync(CancellationToken cancellationToken)
    {
        // A connection known to be down answers at once: a ping would wait for the readiness check's 2 s bound, past
        // the 1 s a Kubernetes probe waits by default, which then saw a timeout instead of the 503 and its reason.
        if (_multiplexer.IsValueCreated && _multiplexer.Value.IsCompletedSuccessfully && !_multiplexer.Value.Result.IsConnected)
        {
            return "redis is unreachable (not connected)";
        }

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
