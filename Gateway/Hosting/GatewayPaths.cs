namespace Tribuo.Gateway.Hosting;

/// <summary>
/// Where the gateway's files are. Configured paths resolve against the current directory, as any
/// command-line tool's do. Defaults are found by walking up from the current directory to the folder that
/// holds <c>routes.json</c> (the repository root), so <c>dotnet run --project Gateway</c> works from the
/// root or from <c>Gateway/</c> alike.
/// </summary>
internal sealed record GatewayPaths(string RoutesFile, string KeysFile, string DataDir)
{
    public const string DefaultRoutesFileName = "routes.json";
    public const string DefaultKeysFileName = "keys.sample.json";

    public static GatewayPaths From(IConfiguration configuration)
    {
        var root = FindRoot(Directory.GetCurrentDirectory());
        return new GatewayPaths(
            Resolve(configuration["Gateway:RoutesFile"], root, DefaultRoutesFileName),
            Resolve(configuration["Gateway:KeysFile"], root, DefaultKeysFileName),
            Resolve(configuration["Gateway:DataDir"], root, ".data"));
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
