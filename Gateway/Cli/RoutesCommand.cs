using System.CommandLine;
using Tribuo.Gateway.Routes;

namespace Tribuo.Gateway.Cli;

/// <summary><c>routes check FILE</c>: validates a routes file exactly as the server would, for operators' CI.</summary>
internal static class RoutesCommand
{
    public static Command Build()
    {
        var file = new Argument<FileInfo>("file") { Description = "the routes file, e.g. routes.json" };
        var check = new Command("check", "Validate a routes file exactly as the server would: exit 0, or 1 with every error.") { file };
        check.SetAction((parse, _) => CheckAsync(parse.GetRequiredValue(file).FullName));
        return new Command("routes", "The routes file (routes.json).") { check };
    }

    private static async Task<int> CheckAsync(string path)
    {
        await using var services = RoutesLoader.CreateStandalone();
        var result = await services.GetRequiredService<RoutesLoader>().LoadAsync(path);
        if (result.Snapshot is null)
        {
            Console.Error.WriteLine(result.Describe(path));
            return GatewayCli.Failed;
        }

        Console.WriteLine($"{path}: OK ({result.Snapshot.Routes.Count} routes, {result.Snapshot.Clusters.Count} clusters)");
        return 0;
    }
}
