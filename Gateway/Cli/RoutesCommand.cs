using Tribuo.Gateway.Routes;

namespace Tribuo.Gateway.Cli;

/// <summary><c>routes check FILE</c>: validates a routes file exactly as the server would, for operators' CI.</summary>
internal static class RoutesCommand
{
    private const string UsageText = "usage: routes check <path/to/routes.json>";

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length != 2 || !args[0].Equals("check", StringComparison.OrdinalIgnoreCase))
        {
            return GatewayCli.Usage(UsageText);
        }

        var path = Path.GetFullPath(args[1]);
        await using var services = RoutesLoader.CreateStandalone();

        var result = await services.GetRequiredService<RoutesLoader>().LoadAsync(path);
        if (result.Snapshot is null)
        {
            Console.Error.WriteLine(result.Describe(path));
            return 1;
        }

        Console.WriteLine($"{path}: OK ({result.Snapshot.Routes.Count} routes, {result.Snapshot.Clusters.Count} clusters)");
        return 0;
    }
}
