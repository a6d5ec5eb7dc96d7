namespace Tribuo.Gateway.Hosting;

/// <summary>
/// Where the gateway's files are. Configured paths resolve against the current directory, as any
/// command-line tool's do. Defaults are found by walking up from the current directory to the folder that
/// holds <c>routes.json</c> (the repository root), so <c>dotnet run --project Gateway</c> works from the
/// root or from <c>Gateway/</c> alike. The sample keys (whose secrets are public, one of them a <c>*</c> admin key)
/// are the default keys file only in the Development environment (what <c>dotnet run</c> uses): a container or
/// production start seeds nothing unless <c>Gateway:KeysFile</c> says so (DESIGN §2).
/// </summary>
internal sealed record GatewayPaths(string RoutesFile, string? KeysFile, string DataDir)
{
    /// <summary>
    /// Whether <c>Gateway:KeysFile</c> was set: then the file must exist (exit 2 otherwise, as for a missing routes file);
    /// the Development default (<c>keys.sample.json</c> at the root) may be absent, and nothing is seeded.
    /// </summary>
    public bool KeysFileConfigured { get; init; }

    public const string DefaultRoutesFileName = "routes.json";
    public const string DefaultKeysFileName = "keys.sample.json";

    public static GatewayPaths From(IConfiguration configuration, IHostEnvironment environment)
    {
        var root = FindRoot(Directory.GetCurrentDirectory());
        var keysFile = configuration["Gateway:KeysFile"];
        return new GatewayPaths(
            Resolve(configuration["Gateway:RoutesFile"], root, DefaultRoutesFileName),
            string.IsNullOrWhiteSpace(keysFile) && !environment.IsDevelopment() ? null : Resolve(keysFile, root, DefaultKeysFileName),
            Resolve(configuration["Gateway:DataDir"], root, ".data"))
        {
            KeysFileConfigured = !string.IsNullOrWhiteSpace(keysFile),
        };
    }

    private static string Resolve(string? configured, string root, string defaultName) =>
        string.IsNullOrWhiteSpace(configured) ? Path.Combine(root, defaultName) : Path.GetFullPath(configured);

    private static string FindRoot(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, DefaultRoutesFileName)))
            {
                return dir.FullName;
            }
        }

        return start;
    }
}
