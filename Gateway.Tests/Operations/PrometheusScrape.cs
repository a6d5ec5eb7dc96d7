using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Tribuo.Gateway.Tests.Infrastructure;
using Xunit;

namespace Tribuo.Gateway.Tests.Operations;

/// <summary>One sample of a scrape: metric name, labels, value.</summary>
public sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>
/// Reads the Prometheus text format well enough to assert on samples (names, label sets, values), whatever
/// order, timestamps or extra labels the exporter writes; <see cref="CheckWithPromtoolAsync"/> has the real
/// parser judge the whole scrape.
/// </summary>
public static partial class PrometheusScrape
{
    public static IReadOnlyList<PrometheusSample> Parse(string text)
    {
        var samples = new List<PrometheusSample>();
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var match = SampleLine().Match(line);
            Assert.True(match.Success, $"not a sample line: {line}");
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (Match label in LabelPair().Matches(match.Groups["labels"].Value))
            {
                labels[label.Groups["name"].Value] = Regex.Unescape(label.Groups["value"].Value);
            }

            samples.Add(new PrometheusSample(match.Groups["name"].Value, labels, double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture)));
        }

        return samples;
    }

    /// <summary>The value of the one sample named <paramref name="name"/> carrying at least these labels, or null.</summary>
    public static double? Value(IReadOnlyList<PrometheusSample> samples, string name, params (string Label, string Value)[] labels)
    {
        var found = samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Label, out var v) && v == l.Value)).ToList();
        Assert.True(found.Count <= 1, $"{found.Count} samples of {name} match");
        return found.Count == 0 ? null : found[0].Value;
    }

    /// <summary>
    /// <c>promtool check metrics</c> on the scrape. Parse errors fail the test; lint remarks (exit code 3) are
    /// allowed only for the standard .NET families, whose names are .NET's own, never for the gateway's.
    /// </summary>
    public static async Task CheckWithPromtoolAsync(string text)
    {
        var promtool = File.Exists("/usr/bin/promtool") ? "/usr/bin/promtool" : null;
        if (promtool is null)
        {
            ServerRequirement.SkipOrFail("promtool is not installed (Debian package prometheus)");
        }

        var start = new ProcessStartInfo(promtool, ["check", "metrics"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(text);
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        var report = (await output) + (await error);
        Assert.True(process.ExitCode is 0 or 3, $"promtool check metrics exited {process.ExitCode}: {report}");
        Assert.DoesNotContain("tribuo_gateway", report);
    }

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>(?:[^"}]|"(?:[^"\\]|\\.)*")*)\})?\s+(?<value>\S+)(\s+\d+)?$""")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"(?<name>[a-zA-Z_][a-zA-Z0-9_]*)=""(?<value>(?:[^""\\]|\\.)*)""")]
    private static partial Regex LabelPair();
}
