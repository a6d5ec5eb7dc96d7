using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;

namespace Tribuo.Gateway.Cli;

/// <summary>
/// Command-line verbs (<c>dotnet run --project Gateway -- routes check ...</c>) on System.CommandLine. They use
/// the same configuration as the server (<c>--Section:Key=value</c> arguments included), so a verb sees the stores
/// the server would. Exit codes: 0 done, 1 the operation failed, 2 the command line is wrong (with a suggestion).
/// </summary>
internal static class GatewayCli
{
    public const int Failed = 1;
    public const int UsageError = 2;

    private static readonly string[] HelpWords = ["--help", "-h", "-?", "/?", "/h", "--version"];

    /// <summary>
    /// True when the arguments are a verb (or a bare word that looks like a mistyped one, or a request for help)
    /// rather than a server start: no words at all, or only configuration arguments such as <c>--urls x</c>,
    /// start the server as before.
    /// </summary>
    public static bool Handles(string[] args)
    {
        var words = CliHost.SplitSettings(args).Words;
        if (words.Length == 0)
        {
            return false;
        }

        var first = words[0];
        return HelpWords.Contains(first, StringComparer.OrdinalIgnoreCase) || (!first.StartsWith('-') && !first.Contains('='));
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var (settings, words) = CliHost.SplitSettings(args);
        var result = BuildRoot(settings).Parse(words);
        if (result.Action is ParseErrorAction errors)
        {
            // The library prints each error with "Did you mean ...?" typo corrections; the exit code is ours.
            errors.ShowHelp = false;
            await result.InvokeAsync();
            Console.Error.WriteLine(HelpHint(result));
            return UsageError;
        }

        return await result.InvokeAsync();
    }

    private static string HelpHint(ParseResult result)
    {
        var path = new List<string> { "--help" };
        for (var command = result.CommandResult; command.Parent is CommandResult parent; command = parent)
        {
            path.Insert(0, command.Command.Name);
        }

        return $"Run '{string.Join(' ', path)}' for the usage.";
    }

    internal static RootCommand BuildRoot(string[] settings) => new("Tribuo Gateway. With no command it starts the server; configuration arguments (--Section:Key=value) apply to every command.")
    {
        RoutesCommand.Build(settings),
        KeysCommand.Build(settings),
        UsersCommand.Build(settings),
    };
}
