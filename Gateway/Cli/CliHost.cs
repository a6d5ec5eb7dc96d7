using Tribuo.Gateway.Hosting;
using Tribuo.Gateway.Keys;
using Tribuo.Gateway.Login;
using Tribuo.Gateway.Storage;
using Tribuo.Gateway.Tokens;

namespace Tribuo.Gateway.Cli;

/// <summary>The server's services without the server, so CLI verbs see exactly the stores it would.</summary>
internal static class CliHost
{
    /// <summary>How long a verb waits, at its end, for the audit trail to reach the database.</summary>
    private static readonly TimeSpan AuditPatience = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Splits configuration arguments (<c>--Section:Key=value</c>: a name with a colon before the <c>=</c>) from the
    /// verb's own words, so the parser never mistakes one for the other.
    /// </summary>
    public static (string[] Settings, string[] Words) SplitSettings(string[] args)
    {
        var settings = args.Where(IsSetting).ToArray();
        return (settings, args.Where(a => !IsSetting(a)).ToArray());
    }

    private static bool IsSetting(string arg)
    {
        var equals = arg.IndexOf('=', StringComparison.Ordinal);
        return arg.StartsWith("--", StringComparison.Ordinal) && equals > 2 && arg.AsSpan(2, equals - 2).Contains(':');
    }

    /// <summary>What the settings paragraph says does not happen, in place of the server's "cannot start".</summary>
    private const string Refusal = "Tribuo Gateway cannot run this command";

    /// <summary>
    /// Runs one verb against the configured stores: a setting the server would refuse is its paragraph and exit 2
    /// before anything is read or written, operation errors (unknown key, invalid change) are a sentence on stderr
    /// and exit 1, and every audit event the verb recorded is written before the process exits.
    /// </summary>
    public static async Task<int> RunAsync(string[] settings, Func<IServiceProvider, Task<int>> verb)
    {
        await using var app = Build(settings);
        // The server's own check (DESIGN §2): without it a bad value surfaced as a stack trace when a verb first
        // resolved the service reading it, or was never read at all.
        if (!app.TryValidateSettings(Refusal))
        {
            return StartupSettings.InvalidConfiguration;
        }

        var trail = app.Services.GetRequiredService<Operations.AuditTrail>();
        await trail.StartAsync(CancellationToken.None);
        int exitCode;
        try
        {
            exitCode = await verb(app.Services);
        }
        catch (Exception ex) when (ex is KeyOperationException or KeyNotFoundException)
        {
            Console.Error.WriteLine(ex.Message);
            exitCode = GatewayCli.Failed;
        }
        catch (Exception ex) when (Storage.StoreErrors.IsUnreachable(ex))
        {
            // A sentence, as the server's 503 is, not a stack trace (an outside review ran the CLI with PostgreSQL down).
            Console.Error.WriteLine($"A store this command needs cannot be reached ({ex.GetType().Name}); the command did not complete. Check ConnectionStrings and that the store is up, then run it again.");
            exitCode = GatewayCli.Failed;
        }

        using var patience = new CancellationTokenSource(AuditPatience);
        await trail.StopAsync(patience.Token);
        if (trail.Pending > 0)
        {
            Console.Error.WriteLine($"{trail.Pending} audit events could not be written to the users' database within {AuditPatience.TotalSeconds:0} s; the changes were made.");
            return GatewayCli.Failed;
        }

        return exitCode;
    }

    /// <summary>
    /// The settings check alone, for a verb that uses no store (<c>routes check</c>): the same paragraph and exit 2,
    /// without creating the data folder, the key file or a database.
    /// </summary>
    public static async Task<bool> SettingsAreValidAsync(string[] settings)
    {
        await using var app = Build(settings);
        return app.TryValidateSettings(Refusal, openStores: false);
    }

    private static WebApplication Build(string[] settings)
    {
        var builder = WebApplication.CreateBuilder(settings);
        builder.AddGatewayDefaults();
        builder.Logging.ClearProviders();
        builder.Services.AddGatewayStorage();
        builder.Services.AddGatewayKeys();
        builder.Services.AddGatewayTokens();
        builder.Services.AddGatewayLogin();
        builder.Services.AddSingleton<Routes.AccessExplainer>();
        return builder.Build();
    }
}
