using System.CommandLine;
using Tribuo.Gateway.Hosting;
using Tribuo.Gateway.Keys;
using Tribuo.Gateway.Routes;

namespace Tribuo.Gateway.Cli;

/// <summary>
/// <c>routes check FILE</c>: validates a routes file exactly as the server would, for operators' CI.
/// <c>routes explain --route ID | --key ID</c>: who can reach a route, or what a key can reach, from the same
/// <see cref="AccessExplainer"/> as the console.
/// </summary>
internal static class RoutesCommand
{
    public static Command Build(string[] settings)
    {
        var file = new Argument<FileInfo>("file") { Description = "the routes file, e.g. routes.json" };
        var check = new Command("check", "Validate a routes file exactly as the server would: exit 0, or 1 with every error.") { file };
        check.SetAction(async (parse, _) => await CliHost.SettingsAreValidAsync(settings)
            ? await CheckAsync(parse.GetRequiredValue(file).FullName)
            : Hosting.StartupSettings.InvalidConfiguration);

        var route = new Option<string>("--route") { Description = "a route id: every active key and every role that can reach it" };
        var key = new Option<string>("--key") { Description = "a key id: every route it can reach" };
        var routesFile = new Option<FileInfo>("--file") { Description = "the routes file (default: Gateway:RoutesFile, as the server reads it)" };
        var explain = new Command("explain", "Who can reach a route (--route ID), or which routes a key can reach (--key ID); the console's answers.") { route, key, routesFile };
        explain.Validators.Add(result =>
        {
            if ((result.GetResult(route) is null) == (result.GetResult(key) is null))
            {
                result.AddError("Give either --route ID or --key ID.");
            }
        });
        explain.SetAction((parse, _) => CliHost.RunAsync(settings, services =>
            ExplainAsync(services, parse.GetValue(routesFile)?.FullName, parse.GetValue(route), parse.GetValue(key), Console.Out)));

        return new Command("routes", "The routes file (routes.json).") { check, explain };
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

    internal static async Task<int> ExplainAsync(IServiceProvider services, string? path, string? routeId, string? keyId, TextWriter output)
    {
        path ??= services.GetRequiredService<GatewayPaths>().RoutesFile;
        await using var loaderServices = RoutesLoader.CreateStandalone();
        var loaded = await loaderServices.GetRequiredService<RoutesLoader>().LoadAsync(path);
        if (loaded.Snapshot is not { } routes)
        {
            Console.Error.WriteLine(loaded.Describe(path));
            return GatewayCli.Failed;
        }

        var explainer = services.GetRequiredService<AccessExplainer>();
        if (routeId is not null)
        {
            if (!routes.Policies.TryGetValue(routeId, out var policy))
            {
                Console.Error.WriteLine($"route '{routeId}' is not in {path}.");
                return GatewayCli.Failed;
            }

            var reach = AccessExplainer.Route(policy, await explainer.ReadAsync(routes));
            await output.WriteLineAsync($"route '{policy.RouteId}': {Describe(policy)}");
            if (reach.Everybody)
            {
                await output.WriteLineAsync("everybody: the route is public (no credential is checked)");
                return 0;
            }

            await output.WriteLineAsync($"keys ({reach.Keys.Count}):");
            foreach (var reaching in reach.Keys)
            {
                await output.WriteLineAsync($"  {reaching.Id}  {string.Join(' ', reaching.Scopes)}" + (reaching.UserId is null ? "" : $"  user {reaching.UserId}")
                    + (reaching.Origins.Count == 0 ? "" : $"  only from {string.Join(' ', reaching.Origins)}"));
            }

            await output.WriteLineAsync($"roles ({reach.Roles.Count}):");
            foreach (var role in reach.Roles)
            {
                await output.WriteLineAsync($"  {role}");
            }

            return 0;
        }

        var key = await services.GetRequiredService<KeyService>().GetAsync(keyId!) ?? throw new KeyNotFoundException($"key '{keyId}' does not exist.");
        var reached = await explainer.RoutesOfKeyAsync(routes, key);
        await output.WriteLineAsync($"key '{key.Id}': {key.StatusAt(services.GetRequiredService<TimeProvider>().GetUtcNow()).ToString().ToLowerInvariant()}, scopes {string.Join(' ', key.Scopes)}"
            + (key.UserId is null ? "" : $", user {key.UserId}"));
        await output.WriteLineAsync($"routes ({reached.Count}):");
        foreach (var policy in reached)
        {
            await output.WriteLineAsync($"  {policy.RouteId}  {Describe(policy)}");
        }

        return 0;
    }

    /// <summary>A route's rules in one line: auth mode, scopes, roles, companies, limit.</summary>
    public static string Describe(RoutePolicy policy) =>
        string.Join(", ", new[]
        {
            "auth " + policy.Auth.ToString().ToLowerInvariant(),
            policy.Scopes.Count == 0 ? "" : "scopes " + string.Join(' ', policy.Scopes),
            policy.Roles.Count == 0 ? "" : "roles " + string.Join(' ', policy.Roles),
            policy.Companies.Count == 0 ? "" : "companies " + string.Join(' ', policy.Companies),
            policy.RateLimit is null ? "" : "limit " + policy.RateLimit.Text,
        }.Where(part => part.Length > 0));
}
