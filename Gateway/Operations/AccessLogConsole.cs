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
/// is written twice.
/// </summary>
[ProviderAlias("AccessLog")]
internal sealed class AccessLogConsole : ILoggerProvider
{
    /// <summary>Beyond this many unwritten lines request threads wait: an access log loses no line.</summary>
    private const int QueueLength = 16 * 1024;

    private const int BatchCharacters = 64 * 1024;

    [ThreadStatic]
    private static StringWriter? t_line;

    private readonly Channel<string> _lines = Channel.CreateBounded<string>(new BoundedChannelOptions(QueueLength)
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
        _writer = Task.Run(WriteBatchesAsync);
    }

    public ILogger CreateLogger(string categoryName) =>
        categoryName == AccessLog.Category ? new Logger(this) : NullLogger.Instance;

    public void Dispose()
    {
        _lines.Writer.TryComplete();
        _writer.Wait(TimeSpan.FromSeconds(5));
    }

    private void Enqueue(string line)
    {
        if (!_lines.Writer.TryWrite(line))
        {
            // Full: the console cannot keep up; slow the requests down rather than drop their lines.
            _lines.Writer.WriteAsync(line).AsTask().GetAwaiter().GetResult();
        }
    }

    private async Task WriteBatchesAsync()
    {
        var batch = new StringBuilder(BatchCharacters);
        var reader = _lines.Reader;
        while (await reader.WaitToReadAsync())
        {
            while (batch.Length < BatchCharacters && reader.TryRead(out var line))
            {
                batch.Append(line);
            }

            Console.Out.Write(batch.ToString());
            batch.Clear();
        }
    }

    private sealed class Logger(AccessLogConsole sink) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = t_line ??= new StringWriter();
            sink._formatter.Write(new LogEntry<TState>(logLevel, AccessLog.Category, eventId, state, exception, formatter), null, line);
            var builder = line.GetStringBuilder();
            if (builder.Length == 0)
            {
                return;
            }

            sink.Enqueue(builder.ToString());
            builder.Clear();
            if (builder.Capacity > 4096)
            {
                builder.Capacity = 1024;
            }
        }
    }
}
