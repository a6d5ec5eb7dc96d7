using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tribuo.Gateway.Keys;
using Xunit;

namespace Tribuo.Gateway.Tests.Infrastructure;

/// <summary>
/// The real gateway (Program) on Kestrel, on a free loopback port, with its own routes file and data
/// folder in a temp directory and whatever settings a test adds (Redis, PostgreSQL, ...). Every log line
/// it writes is captured in <see cref="Logs"/> so tests can check what reaches logs.
/// </summary>
public sealed class GatewayApp : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;

    private GatewayApp(string directory, Dictionary<string, string?> settings, int port)
    {
        Directory = directory;
        _settings = settings;
        UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
    }

    /// <summary>The key-encryption key file all gateways of this test process use.</summary>
    public static readonly string SharedSecretsKeyFile = Path.Combine(Path.GetTempPath(), $"tgw-test-secrets-{Environment.ProcessId}.key");

    public string Directory { get; }
    public string RoutesFile => Path.Combine(Directory, "routes.json");
    public ConcurrentQueue<string> Logs { get; } = new();
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Starts a gateway serving <paramref name="routesJson"/>.</summary>
    /// <param name="port">0 for any free port; a fixed one when the address must be known before start (provider callbacks).</param>
    public static GatewayApp Start(string routesJson, IDictionary<string, string?>? settings = null, int port = 0)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("tgw-app-").FullName;
        File.WriteAllText(Path.Combine(directory, "routes.json"), routesJson);
        // A configured keys file must exist (a missing one stops the gateway): an empty one unless the test brings its own.
        File.WriteAllText(Path.Combine(directory, "keys.json"), """{ "Keys": [] }""");
        var all = new Dictionary<string, string?>
        {
            ["Gateway:RoutesFile"] = Path.Combine(directory, "routes.json"),
            ["Gateway:DataDir"] = Path.Combine(directory, "data"),
            // One key-encryption key for every gateway of the test run, as instances sharing a database share theirs.
            ["Gateway:Secrets:KeyFile"] = SharedSecretsKeyFile,
            ["Gateway:KeysFile"] = Path.Combine(directory, "keys.json"),
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        var app = new GatewayApp(directory, all, port);
        app.StartServer();
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        app.BaseAddress = new Uri(addresses.First());
        return app;
    }

    /// <summary>
    /// The keys file's background import has ended (README, "Seeding"): seeded keys answer and <c>/readyz</c> can be
    /// ready. Never ends while the store is unreachable; 30 s at most.
    /// </summary>
    public Task KeysFileImportedAsync() =>
        Services.GetRequiredService<KeySeeder>().Completed.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

    /// <summary>A client that sends no trace context of its own (another gateway's tracer in this process would make it).</summary>
    public HttpClient NewClient() => new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false, ActivityHeadersPropagator = null }) { BaseAddress = BaseAddress };

    /// <summary>Rewrites the routes file the way an operator's editor would (write to a temp file, then rename).</summary>
    public void WriteRoutes(string routesJson)
    {
        var temp = RoutesFile + ".tmp";
        File.WriteAllText(temp, routesJson);
        File.Move(temp, RoutesFile, overwrite: true);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.ConfigureAppConfiguration(configuration => configuration.AddInMemoryCollection(_settings));
        foreach (var (key, value) in _settings)
        {
            // Also as host settings: Program reads some (observability) while it builds, before ConfigureAppConfiguration applies.
            builder.UseSetting(key, value);
        }
        builder.ConfigureLogging(logging => logging.AddProvider(new CapturingLoggerProvider(Logs)));
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private sealed class CapturingLoggerProvider(ConcurrentQueue<string> sink) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new CapturingLogger(categoryName, sink);

        public void Dispose()
        {
        }
    }

    private sealed class CapturingLogger(string category, ConcurrentQueue<string> sink) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            sink.Enqueue($"{logLevel} {category}[{eventId.Id}] {formatter(state, exception)} {exception}");
    }
}
