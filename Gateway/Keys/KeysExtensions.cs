using Tribuo.Gateway.Hosting;
using Tribuo.Gateway.Storage;

namespace Tribuo.Gateway.Keys;

internal static class KeysExtensions
{
    /// <summary>The KEY scheme, its cache and change feed, administration, seeding and last-use recording.</summary>
    public static IServiceCollection AddGatewayKeys(this IServiceCollection services)
    {
        services.AddSingleton(sp => KeyOptions.Read(sp.GetRequiredService<IConfiguration>()));
        services.AddChangeFeed();
        services.AddSingleton<KeyCache>();
        services.AddSingleton<KeyStoreCircuit>();
        services.AddSingleton<KeyAuthenticator>();
        services.AddSingleton<KeyService>();
        services.AddSingleton<SiteOrigins>();
        services.AddSingleton<OpenRequests>();
        services.AddSingleton<KeyChangeFanout>();
        services.AddSingleton(sp => ReadKeysFile(sp.GetRequiredService<GatewayPaths>()));
        services.AddSingleton<KeySeeder>();
        services.AddHostedService(sp => sp.GetRequiredService<KeySeeder>());
        services.AddHostedService<KeyCacheSync>();
        services.AddHostedService<KeyStoreProbe>();
        services.AddSingleton<KeyWriteFollowUp>();
        services.AddHostedService(sp => sp.GetRequiredService<KeyWriteFollowUp>());
        services.AddSingleton<KeyUsageRecorder>();
        services.AddHostedService(sp => sp.GetRequiredService<KeyUsageRecorder>());
        return services;
    }

    /// <summary>
    /// Validates the keys file before the server starts. False, with every error on stderr, when it is
    /// invalid or when <c>Gateway:KeysFile</c> names a file that does not exist (a mistyped path would otherwise import
    /// nothing, silently); the Development default missing, or none outside Development, is fine (nothing to seed).
    /// </summary>
    public static bool TryReadKeysFile(this WebApplication app)
    {
        var file = app.Services.GetRequiredService<KeysFileAtStart>();
        if (file.Errors.Count == 0)
        {
            return true;
        }

        Console.Error.WriteLine("Tribuo Gateway cannot start: the keys file (Gateway:KeysFile) cannot be used." + Environment.NewLine + string.Join(Environment.NewLine, file.Errors.Select(e => "  - " + e)));
        return false;
    }

    private static KeysFileAtStart ReadKeysFile(GatewayPaths paths)
    {
        var path = paths.KeysFile;
        if (path is null || !File.Exists(path))
        {
            return new KeysFileAtStart(path ?? "(none)", null, paths.KeysFileConfigured && path is not null
                ? [$"Gateway:KeysFile: '{path}' does not exist (or cannot be seen); point it at the keys file to import, or leave it unset to import none."]
                : []);
        }

        var (contents, errors) = KeysFile.Read(path);
        return new KeysFileAtStart(path, contents, errors);
    }
}
