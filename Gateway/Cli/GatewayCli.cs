namespace Tribuo.Gateway.Cli;

/// <summary>
/// Command-line verbs (<c>dotnet run --project Gateway -- routes check ...</c>). They use the same
/// configuration as the server, so a verb sees the stores the server would.
/// </summary>
internal static class GatewayCli
{
    private static readonly Dictionary<string, Func<string[], Task<int>>> Verbs = new(StringComparer.OrdinalIgnoreCase)
    {
        ["routes"] = RoutesCommand.RunAsync,
        ["keys"] = KeysCommand.RunAsync,
        ["users"] = UsersCommand.RunAsync,
    };

    public static bool Handles(string[] args) => args.Length > 0 && Verbs.ContainsKey(args[0]);

    public static Task<int> RunAsync(string[] args) => Verbs[args[0]](args[1..]);

    public static int Usage(string text)
    {
        Console.Error.WriteLine(text);
        return 64; // EX_USAGE
    }
}
