using System.Globalization;
using System.Net;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace Tribuo.Gateway.Operations;

/// <summary>
/// Writes the access log (<see cref="AccessLog.Category"/>) to the console with the console logger's own
/// formatter (<c>simple</c> or <c>json</c>, as <c>Logging:Console:FormatterName</c> says), but in batches.
/// The console logger writes and flushes stdout once per line, from one queue every request thread
/// contends for; at tens of thousands of requests a second that alone cost a third of the KEY route's
/// throughput. Here each request formats its line on its own thread and a single writer empties the queue
/// into one <c>Console.Out</c> write per batch, so lines stay whole beside the console logger's own.
/// The console logger is told to skip this category (<see cref="ObservabilityExtensions"/>), so no line
/// is written twice. With the <c>simple</c> formatter (the default) the request thread does not even format:
/// <see cref="Write"/> queues the values and the writer formats them straight into its batch, in the
/// simple formatter's own layout; the <see cref="ILogger"/> call then only feeds other providers.
/// </summary>
[ProviderAlias("AccessLog")]
internal sealed class AccessLogConsole : ILoggerProvider
{
    /// <summary>Beyond this many unwritten lines request threads wait: an access log loses no line.</summary>
    private const int QueueLength = 16 * 1024;

    private const int BatchCharacters = 32 * 1024;

    /// <summary>How long lines gather before a write: the log trails requests by at most this.</summary>
    private static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(100);

    [ThreadStatic]
    private static StringWriter? t_line;

    private readonly Channel<AccessRecord> _lines = Channel.CreateBounded<AccessRecord>(new BoundedChannelOptions(QueueLength)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private readonly ConsoleFormatter _formatter;
    private readonly Task _writer;

    public AccessLogConsole(IEnumerable<ConsoleFormatter> formatters, IOptionsMonitor<ConsoleLoggerOptions> options)
    {
        var name = options.CurrentValue.FormatterName ?? ConsoleFormatterNames.Simple;
        _formatter = formatters.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase))
            ?? formatters.First(f => f.Name == ConsoleFormatterNames.Simple);
        Direct = _formatter.Name == ConsoleFormatterNames.Simple;
        _writer = Task.Run(WriteBatchesAsync);
    }

    /// <summary>True when lines are queued as values rather than through the logger.</summary>
    public bool Direct { get; }

    /// <summary>Queues one access line as values; the writer formats it. Only with <see cref="Direct"/>.</summary>
    public void Write(AccessRecord record) => Enqueue(record);

    public ILogger CreateLogger(string categoryName) =>
        categoryName == AccessLog.Category ? new Logger(this) : NullLogger.Instance;

    public void Dispose()
    {
        _lines.Writer.TryComplete();
        _writer.Wait(TimeSpan.FromSeconds(5));
    }

    private void Enqueue(AccessRecord line)
    {
        if (!_lines.Writer.TryWrite(line))
        {
            // Full: the console cannot keep up; slow the requests down rather than drop their lines.
            _lines.Writer.WriteAsync(line).AsTask().GetAwaiter().GetResult();
        }
    }

    private async Task WriteBatchesAsync()
    {
        var batch = new StringBuilder(BatchCharacters + 1024);
        var reader = _lines.Reader;
        while (await reader.WaitToReadAsync())
        {
            // Let lines gather: waking for every line would cost a thread-pool hop and a write per request.
            await Task.Delay(FlushInterval);
            while (reader.TryRead(out var line))
            {
                if (line.Formatted is { } formatted)
                {
                    batch.Append(formatted);
                }
                else
                {
                    AppendSimple(batch, line);
                }

                if (batch.Length >= BatchCharacters)
                {
                    Flush(batch);
                }
            }

            Flush(batch);
        }
    }

    /// <summary>
    /// Writes the batch chunk by chunk under <c>Console.Out</c>'s own lock (so the console logger's lines never
    /// land inside it), never as one string: a batch-sized string is a large-object allocation, and each one
    /// costs a full collection.
    /// </summary>
    private static void Flush(StringBuilder batch)
    {
        if (batch.Length == 0)
        {
            return;
        }

        var console = Console.Out;
        lock (console)
        {
            foreach (var chunk in batch.GetChunks())
            {
                console.Write(chunk.Span);
            }
        }

        batch.Clear();
    }

    /// <summary>The simple console formatter's single-line layout, timestamp format included (see ObservabilityExtensions).</summary>
    private static void AppendSimple(StringBuilder batch, AccessRecord r) =>
        batch.Append(CultureInfo.InvariantCulture,
            $"{r.Time:yyyy-MM-dd'T'HH:mm:ss.fff'Z'} info: {AccessLog.Category}[{AccessLog.EventId}] {r.Method} {r.Path} {r.Status} {r.DurationMs:0.0}ms client={r.Client} route={r.Route} caller={r.Caller} upstream={r.Upstream} reason={r.Reason}{Environment.NewLine}");

    private sealed class Logger(AccessLogConsole sink) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (sink.Direct)
            {
                return;
            }

            var line = t_line ??= new StringWriter();
            sink._formatter.Write(new LogEntry<TState>(logLevel, AccessLog.Category, eventId, state, exception, formatter), null, line);
            var builder = line.GetStringBuilder();
            if (builder.Length == 0)
            {
                return;
            }

            sink.Enqueue(new AccessRecord { Formatted = builder.ToString() });
            builder.Clear();
            if (builder.Capacity > 4096)
            {
                builder.Capacity = 1024;
            }
        }
    }
}

/// <summary>One access line: its values, or (with a formatter other than simple) the formatted text.</summary>
internal sealed class AccessRecord
{
    public string? Formatted { get; init; }
    public DateTime Time { get; init; }
    public string Method { get; init; } = "";
    public string Path { get; init; } = "";
    public int Status { get; init; }
    public double DurationMs { get; init; }
    public IPAddress? Client { get; init; }
    public string Route { get; init; } = "";
    public string Caller { get; init; } = "";
    public string Upstream { get; init; } = "";
    public string Reason { get; init; } = "";
}
