using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;
using Tribuo.Gateway.Keys;
using Tribuo.Gateway.Login;
using Tribuo.Gateway.Proxy;
using Tribuo.Gateway.Storage;
using Tribuo.Gateway.Storage.Postgres;
using Tribuo.Gateway.Storage.Redis;
using Tribuo.Gateway.Tokens;

namespace Tribuo.Gateway.Hosting;

/// <summary>
/// Settings that live outside the files (appsettings, environment, command line) are read once before the server
/// starts, so a value that cannot be parsed (a CIDR, a duration, a connection-string keyword, an OTLP endpoint) or a
/// port already taken stops the process with one paragraph naming the setting and exit code 2, never a stack trace
/// (DESIGN §2).
/// </summary>
internal static class StartupSettings
{
    public const int InvalidConfiguration = 2;

    /// <summary>
    /// The key file must open the signing keys the store already holds. An instance started with another file than
    /// the others (or than the previous start) otherwise came up "ready", failed every login with a 500, and sealed a
    /// data-protection key of its own into the shared table that no other instance can open. A store that does not
    /// answer within 5 s is not this check's business: the signing keys' loader retries at run time.
    /// </summary>
    private static void OpensStoredKeys(Tokens.ISigningKeyStore store)
    {
        try
        {
            store.ListAsync().WaitAsync(TimeSpan.FromSeconds(5)).GetAwaiter().GetResult();
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            throw new InvalidOperationException(
                "Gateway:Secrets:KeyFile: this key file does not open the signing keys already in the store; every instance sharing a database must use the same key file (and the file a store was started with).");
        }
        catch (Exception)
        {
            // Unreachable, slow or not yet migrated: checked again when the keys load.
        }
    }

    /// <summary>What may sit directly under <c>Gateway:</c>; anything else is a mistyped or unknown setting, an error.</summary>
    private static readonly string[] GatewaySettings =
    [
        "RoutesFile", "KeysFile", "DataDir", "PublicUrl", "TrustedProxies", "Keys", "Login", "Tokens", "Roles", "Console",
        "Secrets", "Redis", "Audit", "Performance", "Metrics", "Proxy",
    ];

    /// <summary>
    /// False, with a paragraph per invalid setting on stderr, when a setting cannot be used. The one list of every
    /// setting the gateway reads: each entry reads it the way the gateway will (binding, range, format, the file or
    /// folder it names), so whatever it cannot use stops the start here rather than later with a stack trace.
    /// The command-line verbs run the same check (<see cref="Cli.CliHost"/>): <paramref name="refusal"/> names what
    /// does not happen, and <paramref name="openStores"/> false leaves the data folder, the key file and the stores
    /// untouched for a verb that uses none of them (<c>routes check</c> in an operator's CI).
    /// </summary>
    public static bool TryValidateSettings(this WebApplication app, string refusal = "Tribuo Gateway cannot start", bool openStores = true)
    {
        var services = app.Services;
        var configuration = app.Configuration;
        var stores = services.GetRequiredService<StoreSelection>();
        var settings = new List<(string Name, Action Read)>
        {
            ("urls", () => ListenAddresses(configuration)),
            ("Gateway", () => SettingValues.KnownKeys(configuration, "Gateway", GatewaySettings)),
            ("Gateway:RoutesFile", () => services.GetRequiredService<GatewayPaths>()),
            ("Gateway:PublicUrl", () => PublicUrl.Read(configuration)),
            ("Gateway:Keys", () => services.GetRequiredService<KeyOptions>()),
            ("Gateway:Login", () => services.GetRequiredService<LoginOptions>()),
            ("Gateway:Tokens", () => services.GetRequiredService<TokenOptions>()),
            ("Gateway:Roles", () => services.GetRequiredService<Users.RoleScopes>()),
            // Read by the services' own readers, not resolved: the CLI's host registers no console, proxy or telemetry.
            ("Gateway:Console", () => OperatorsConsole.ConsoleOptions.Read(configuration)),
            ("Gateway:TrustedProxies", () => new ForwardedHeaders(configuration)),
            ("Gateway:Secrets", () => SettingValues.KnownKeys(configuration, "Gateway:Secrets", "KeyFile")),
            ("Gateway:Redis", () => SettingValues.KnownKeys(configuration, "Gateway:Redis", "TrustedCertificate")),
            ("Gateway:Audit", () => SettingValues.KnownKeys(configuration, "Gateway:Audit", "QueueSize")),
            (Operations.AuditTrail.QueueSizeSetting, () => Operations.AuditTrail.QueueSize(configuration)),
            ("Gateway:Performance", () => SettingValues.KnownKeys(configuration, "Gateway:Performance", "InlineScheduling")),
            (GatewayDefaults.InlineSchedulingSetting, () => SettingValues.Flag(configuration, GatewayDefaults.InlineSchedulingSetting, false)),
            ("Gateway:Metrics", () => SettingValues.KnownKeys(configuration, "Gateway:Metrics", "Enabled", "UpstreamGauges")),
            ("Gateway:Metrics", () => Operations.ObservabilitySettings.From(configuration).Validated()),
            ("Gateway:Proxy", () => SettingValues.KnownKeys(configuration, "Gateway:Proxy", "UpstreamTimeout")),
            (UpstreamTimeout.Setting, () => UpstreamTimeout.Read(configuration)),
        };
        settings.AddRange(Operations.ObservabilitySettings.OpenTelemetrySettings().Select(s => (s.Setting, (Action)(() => s.Read(configuration)))));
        if (stores.UsesEmbedded && openStores)
        {
            settings.Add(("Gateway:DataDir", () => CheckDataDir(services.GetRequiredService<GatewayPaths>().DataDir)));
        }

        if (stores.UsesRedis)
        {
            settings.Add(("ConnectionStrings:Redis", () => services.GetRequiredService<RedisConnection>()));
        }

        if (stores.UsesPostgres)
        {
            settings.Add(("ConnectionStrings:Postgres", () => services.GetRequiredService<PostgresDatabase>()));
        }

        if (openStores)
        {
            settings.Add(("Gateway:Secrets:KeyFile", () => services.GetRequiredService<SecretsKey>().Check()));
            settings.Add(("Gateway:Secrets:KeyFile", () => OpensStoredKeys(services.GetRequiredService<Tokens.ISigningKeyStore>())));
        }

        var problems = new List<string>();
        foreach (var (name, read) in settings)
        {
            try
            {
                read();
            }
            catch (Exception ex) when (ex is InvalidOperationException or FormatException or ArgumentException or IOException or UnauthorizedAccessException)
            {
                var description = Describe(ex);
                // A message that already names its setting keeps it (one setting read by two sections is then one line).
                var named = description.StartsWith(name, StringComparison.OrdinalIgnoreCase)
                    || description.StartsWith("Gateway:", StringComparison.OrdinalIgnoreCase) || description.StartsWith("ConnectionStrings:", StringComparison.OrdinalIgnoreCase)
                    || description.StartsWith("OTEL_", StringComparison.Ordinal);
                problems.Add($"  - {(named ? "" : name + ": ")}{description}");
            }
        }

        if (problems.Count == 0)
        {
            return true;
        }

        Console.Error.WriteLine($"{refusal}: a setting is invalid." + Environment.NewLine + string.Join(Environment.NewLine, problems.Distinct())
            + Environment.NewLine + "Fix it in appsettings.json, the environment (Section__Key) or the command line (--Section:Key=value). "
            + "Durations are written hh:mm:ss (00:00:15), address ranges as CIDR (10.0.0.0/8), lists as Key:0, Key:1 ... or one comma-separated value.");
        return false;
    }

    /// <summary>
    /// The <c>urls</c> setting (<c>--urls</c>, <c>ASPNETCORE_URLS</c>): each address <c>http(s)://host:port</c> with a port
    /// from 0 to 65535, read here because Kestrel reports a bad one only while starting, with a stack trace.
    /// </summary>
    private static void ListenAddresses(IConfiguration configuration)
    {
        var urls = configuration["urls"];
        if (urls is not null && string.IsNullOrWhiteSpace(urls))
        {
            throw new InvalidOperationException("urls: empty; give at least one address such as http://127.0.0.1:8080 (--urls or ASPNETCORE_URLS).");
        }

        foreach (var url in (urls ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            BindingAddress address;
            try
            {
                address = BindingAddress.Parse(url);
            }
            catch (FormatException)
            {
                throw new InvalidOperationException($"urls: '{url}' is not an address to listen on; write http://host:port, e.g. http://127.0.0.1:8080, several separated by ';' (--urls or ASPNETCORE_URLS).");
            }

            if (address.IsUnixPipe)
            {
                continue;
            }

            if (address.Scheme is not ("http" or "https") || string.IsNullOrEmpty(address.Host) || address.Port is < 0 or > 65535)
            {
                throw new InvalidOperationException($"urls: '{url}' is not an address to listen on: the scheme must be http or https and the port 0 to 65535 (--urls or ASPNETCORE_URLS).");
            }
        }
    }

    /// <summary><c>Gateway:DataDir</c> must be a folder the gateway can create (0700) and write in.</summary>
    private static void CheckDataDir(string directory)
    {
        try
        {
            PrivateFiles.CreateFolder(directory);
            var probe = Path.Combine(directory, $".write-check-{Environment.ProcessId}-{Guid.NewGuid():N}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"Gateway:DataDir: '{directory}' is not a folder the gateway can create and write in ({ex.Message}).", ex);
        }
    }

    /// <summary>
    /// Starts the server; a port that cannot be bound is a readable message and exit code 2. The addresses are tried
    /// first, because the host logs a failed start with its stack trace before the exception reaches us.
    /// </summary>
    public static async Task<int> RunGatewayAsync(this WebApplication app)
    {
        var taken = (app.Configuration["urls"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .FirstOrDefault(url => !CanListen(url));
        if (taken is not null)
        {
            return PortInUse($"Failed to bind to address {taken}: address already in use.");
        }

        try
        {
            await app.StartAsync();
        }
        catch (IOException ex)
        {
            return PortInUse(ex.Message);
        }
        catch (OperationCanceledException) when (app.Lifetime.ApplicationStopping.IsCancellationRequested)
        {
            // A stop signal while a start step was still waiting (for an unreachable Redis, say): a stop, not a crash
            // with a stack trace.
            Console.Error.WriteLine("Tribuo Gateway stopped before it had started: a stop signal arrived while it was starting.");
            return 0;
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or ArgumentException)
        {
            // What the checks above did not foresee (Kestrel's own settings, a certificate): still one paragraph and exit 2.
            Console.Error.WriteLine($"Tribuo Gateway cannot start: {Describe(ex)} Check the urls setting (--urls, ASPNETCORE_URLS) and any Kestrel settings.");
            return InvalidConfiguration;
        }

        await app.WaitForShutdownAsync();
        return 0;
    }

    private static int PortInUse(string what)
    {
        Console.Error.WriteLine($"Tribuo Gateway cannot start: {what} Choose another address with the urls setting "
            + "(--urls http://127.0.0.1:8081, or ASPNETCORE_URLS), or stop what listens there.");
        return InvalidConfiguration;
    }

    /// <summary>False only when the address parses and its port is taken; anything else is left to Kestrel.</summary>
    private static bool CanListen(string url)
    {
        BindingAddress address;
        try
        {
            address = BindingAddress.Parse(url);
        }
        catch (FormatException)
        {
            return true;
        }

        if (address.IsUnixPipe || address.Port == 0)
        {
            return true;
        }

        var ip = address.Host is "localhost" ? IPAddress.Loopback
            : IPAddress.TryParse(address.Host.Trim('[', ']'), out var parsed) ? parsed
            : IPAddress.Any;
        try
        {
            using var probe = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            probe.Bind(new IPEndPoint(ip, address.Port));
            return true;
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            return false;
        }
        catch (SocketException)
        {
            return true;
        }
    }

    /// <summary>The messages of the exception and its causes, which name the setting and the value but not a stack.</summary>
    private static string Describe(Exception ex)
    {
        var messages = new List<string>();
        for (var current = ex; current is not null; current = current.InnerException)
        {
            var message = current.Message.TrimEnd('.');
            if (!messages.Any(m => m.Contains(message, StringComparison.Ordinal)))
            {
                messages.Add(message);
            }
        }

        return string.Join(": ", messages) + ".";
    }
}
