using System.Net;
using System.Text.Json;
using Tribuo.Gateway.Tests.Infrastructure;
using Xunit;

namespace Tribuo.Gateway.Tests.Operations;

/// <summary>The access log as operators read it: the real process writing to its console.</summary>
public sealed class ConsoleLogFormatTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task With_the_json_formatter_the_access_line_is_one_json_object_with_its_fields_by_name()
    {
        await using var started = await StartAsync("tgw-json-log-", 200, json: true);
        var (gateway, http) = (started.Gateway, started.Http);

        using var response = await http.GetAsync("/readyz?token=tgw_test-json-query-token", Ct);
        JsonElement? line = null;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (line is null && DateTime.UtcNow < deadline)
        {
            line = gateway.RecentLog.Split('\n').Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement)
                .Where(e => e.GetProperty("Category").GetString() == "Tribuo.Gateway.Access" && e.GetProperty("State").GetProperty("Path").GetString() == "/readyz")
                .Cast<JsonElement?>().FirstOrDefault();
            await Task.Delay(100, Ct);
        }

        Assert.NotNull(line);
        var state = line.Value.GetProperty("State");
        Assert.Equal("GET", state.GetProperty("Method").GetString());
        Assert.Equal((int)response.StatusCode, state.GetProperty("Status").GetInt32());
        Assert.Equal("127.0.0.1", state.GetProperty("Client").GetString());
        Assert.Equal("-", state.GetProperty("Route").GetString());
        Assert.True(state.GetProperty("DurationMs").GetDouble() >= 0);
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$", line.Value.GetProperty("Timestamp").GetString());
        Assert.DoesNotContain("tgw_test", gateway.RecentLog);
        Assert.DoesNotContain("token=", gateway.RecentLog);
    }

    [Fact]
    public async Task With_the_default_formatter_the_access_line_has_the_simple_layout_and_a_path_cannot_start_a_forged_line()
    {
        await using var started = await StartAsync("tgw-simple-log-", 1000);
        var (gateway, http) = (started.Gateway, started.Http);

        // Many requests from many connections: lines from several threads' buffers, none lost, none split.
        var requests = Enumerable.Range(0, 200).Select(async i =>
        {
            using var client = new HttpClient(new SocketsHttpHandler { ActivityHeadersPropagator = null }) { BaseAddress = http.BaseAddress };
            using var answer = await client.GetAsync($"/nowhere/{i}?token=tgw_test-simple-query-token", Ct);
        });
        await Task.WhenAll(requests);
        // %0A decodes to a line feed in the path; %C3%A9 to é.
        using var forged = await http.GetAsync("/x%0A2026-01-01T00:00:00.000Z%20info:%20Tribuo.Gateway.Access[900]%20GET%20/forged/%C3%A9", Ct);
        // U+2028 and U+0085: line breaks to some log readers, though not control characters to every check.
        using var breaks = await http.GetAsync("/breaks/a%E2%80%A8b%C2%85c", Ct);

        string[] lines = [];
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            lines = gateway.RecentLog.Split('\n').Where(l => l.Contains("Tribuo.Gateway.Access[900]")).ToArray();
            if (lines.Count(l => l.Contains(" /nowhere/")) == 200 && lines.Any(l => l.Contains("/forged/")) && lines.Any(l => l.Contains("/breaks/")))
            {
                break;
            }

            await Task.Delay(100, Ct);
        }

        Assert.Equal(200, lines.Count(l => l.Contains(" /nowhere/")));
        Assert.All(lines.Where(l => l.Contains(" /nowhere/")), l => Assert.Matches(
            @"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z info: Tribuo\.Gateway\.Access\[900\] GET /nowhere/\d+ 404 \d+\.\dms client=127\.0\.0\.1 route=- caller=- upstream=- reason=Not Found\r?$", l));
        var forgedLine = Assert.Single(lines, l => l.Contains("/forged/"));
        Assert.Contains("GET /x%0A2026-01-01T00:00:00.000Z%20info:%20Tribuo.Gateway.Access[900]%20GET%20/forged/é ", forgedLine);
        Assert.DoesNotContain(gateway.RecentLog.Split('\n'), l => l.StartsWith("2026-01-01T00:00:00.000Z"));
        Assert.Contains(lines, l => l.Contains("GET /breaks/a%E2%80%A8b%C2%85c ", StringComparison.Ordinal));
        Assert.DoesNotContain("tgw_test", gateway.RecentLog);
        Assert.DoesNotContain("token=", gateway.RecentLog);
    }

    [Fact]
    public async Task A_burst_that_fills_the_buffers_many_times_over_writes_every_line_once_whole()
    {
        // 2,000 lines of about 105 bytes are several 64 KB buffers: handed to the writer, or written by the request
        // thread when the writer is behind. Either way every line lands once, whole. Two connections only: the
        // other test classes run meanwhile, and their timeouts should not feel this one.
        await using var started = await StartAsync("tgw-burst-log-", 3000);
        var (gateway, http) = (started.Gateway, started.Http);

        var connections = Enumerable.Range(0, 2).Select(async c =>
        {
            using var client = new HttpClient(new SocketsHttpHandler { ActivityHeadersPropagator = null }) { BaseAddress = http.BaseAddress };
            for (var i = 0; i < 1000; i++)
            {
                using var answer = await client.GetAsync($"/burst/{c}-{i}", Ct);
            }
        });
        await Task.WhenAll(connections);

        string[] lines = [];
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            lines = gateway.RecentLog.Split('\n').Where(l => l.Contains(" /burst/")).ToArray();
            if (lines.Length >= 2000)
            {
                break;
            }

            await Task.Delay(100, Ct);
        }

        Assert.Equal(2000, lines.Length);
        var paths = lines.Select(l => Assert.Single(System.Text.RegularExpressions.Regex.Matches(l, @"^\d{4}-\d{2}-\d{2}T[^ ]+ info: Tribuo\.Gateway\.Access\[900\] GET (/burst/\d+-\d+) 404 ")).Groups[1].Value);
        Assert.Equal(2000, paths.Distinct().Count());
    }

    /// <summary>A minimal gateway process whose last <paramref name="logLines"/> console lines are kept, and a client for it.</summary>
    private async Task<Started> StartAsync(string directoryPrefix, int logLines, bool json = false)
    {
        var directory = Directory.CreateTempSubdirectory(directoryPrefix).FullName;
        var port = LoopbackPort.GetFree();
        var psi = await GatewayProcess.MinimalServerAsync(directory, port, Ct);
        if (json)
        {
            psi.Environment["Logging__Console__FormatterName"] = "json";
        }

        var started = new Started(new ChildProcess(this, logLines, directory),
            new HttpClient(new SocketsHttpHandler { ActivityHeadersPropagator = null }) { BaseAddress = new Uri($"http://127.0.0.1:{port}") });
        try
        {
            await GatewayProcess.StartHealthyAsync(started.Gateway, psi, started.Http, Ct);
            return started;
        }
        catch
        {
            await started.DisposeAsync();
            throw;
        }
    }

    private sealed record Started(ChildProcess Gateway, HttpClient Http) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            Http.Dispose();
            await Gateway.DisposeAsync();
        }
    }
}
