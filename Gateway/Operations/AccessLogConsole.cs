using System.Net;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace Tribuo.Gateway.Operations;

/// <summary>
/// Writes the access log (<see cref="AccessLog.Category"/>) to the console with the console logger's own
/// layout (<c>simple</c> or <c>json</c>, as <c>Logging:Console:FormatterName</c> says), but buffered per
/// thread, the way nginx's <c>access_log ... buffer=</c> is per worker. The console logger writes and
/// flushes stdout once per line from one queue every request thread contends for; a shared queue of line
/// objects still cost a fifth of the KEY route's CPU. Here a request appends its line, as UTF-8, to its own
/// thread's buffer (an uncontended lock, no allocation); every 100 ms one writer swaps each buffer for an
/// empty one and writes it to stdout in one call. Lines of one thread keep their order; lines of different
/// threads are up to 100 ms apart out of order (their timestamps say when). A buffer that fills up before
/// then (at 40,000 requests/s a 64 KB buffer lasts about 20 ms) is handed to the writer at once, and the
/// thread goes on in its spare. Only when the writer is a whole buffer behind does the request thread write
/// itself: the log may slow requests down, it never drops a line. (Before, request threads wrote every full
/// buffer themselves, in turn under stdout's lock: most buffers at that rate.)
/// With the <c>simple</c> formatter (the default) the line is laid out here, in the simple formatter's own
/// single-line shape (<see cref="AccessLine"/>); any other formatter formats through the logger
/// (<see cref="Logger"/>). The console logger is told to skip this category (<see cref="ObservabilityExtensions"/>).
/// </summary>
[ProviderAlias("AccessLog")]
internal sealed class AccessLogConsole : ILoggerProvider
{
    private const int BufferBytes = 64 * 1024;

    /// <summary>How long lines gather before a write: the log trails requests by at most this.</summary>
    private static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>The calling thread's buffer (for the provider it last wrote to: tests run several in one process).</summary>
    [ThreadStatic]
    private static ThreadLines? t_lines;

    [ThreadStatic]
    private static StringWriter? t_formatted;

    private readonly List<ThreadLines> _threads = [];
    private readonly ConsoleFormatter _formatter;
    private readonly Stream _stdout;
    private readonly CancellationTokenSource _stopping = new();
    /// <summary>Released when a request thread hands a full buffer over: the writer need not wait for its tick.</summary>
    private readonly SemaphoreSlim _handedOver = new(0);
    private readonly Task _writer;

    public AccessLogConsole(IEnumerable<ConsoleFormatter> formatters, IOptionsMonitor<ConsoleLoggerOptions> options)
    {
        var name = options.CurrentValue.FormatterName ?? ConsoleFormatterNames.Simple;
        _formatter = formatters.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase))
            ?? formatters.First(f => f.Name == ConsoleFormatterNames.Simple);
        Direct = _formatter.Name == ConsoleFormatterNames.Simple;
        _stdout = Console.OpenStandardOutput();
        _writer = Task.Run(WriteBatchesAsync);
    }

    /// <summary>True when lines are laid out here (<see cref="Write"/>) rather than through the logger.</summary>
    public bool Direct { get; }

    /// <summary>Appends one access line in the simple layout. Only with <see cref="Direct"/>.</summary>
    public void Write(in AccessLine line)
    {
        var lines = Acquire();
        try
        {
            if (!line.TryWrite(lines.Free, out var written))
            {
                HandOver(lines);
                if (!line.TryWrite(lines.Free, out written))
                {
                    return; // over 64 KB: cannot be a real request line (Kestrel's request line limit is 8 KB)
                }
            }

            lines.Used += written;
        }
        finally
        {
            Monitor.Exit(lines);
        }
    }

    /// <summary>
    /// With <see cref="Direct"/> the category's logger only reports the level (so the request can ask whether
    /// the access log is on at all) and writes nothing: <see cref="Write"/> has the line already.
    /// </summary>
    public ILogger CreateLogger(string categoryName) =>
        categoryName == AccessLog.Category ? new Logger(this) : NullLogger.Instance;

    public void Dispose()
    {
        _stopping.Cancel();
        try
        {
            _writer.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // The last flush below still runs.
        }

        FlushAll();
    }

    /// <summary>The calling thread's buffer, locked; a buffer the writer retired (idle) is replaced by a registered one.</summary>
    private ThreadLines Acquire()
    {
        while (true)
        {
            var lines = t_lines;
            if (lines is null || lines.Owner != this)
            {
                lines = t_lines = Register();
            }

            Monitor.Enter(lines);
            if (!lines.Retired)
            {
                return lines;
            }

            Monitor.Exit(lines);
            t_lines = null;
        }
    }

    private ThreadLines Register()
    {
        var lines = new ThreadLines(this);
        lock (_threads)
        {
            _threads.Add(lines);
        }

        return lines;
    }

    private async Task WriteBatchesAsync()
    {
        try
        {
            while (true)
            {
                await _handedOver.WaitAsync(FlushInterval, _stopping.Token);
                FlushAll();
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping: Dispose flushes what is left.
        }
    }

    /// <summary>Each thread's lines to stdout; buffers idle for a while are retired so that exited threads leave nothing behind.</summary>
    private void FlushAll()
    {
        ThreadLines[] threads;
        lock (_threads)
        {
            threads = [.. _threads];
        }

        foreach (var lines in threads)
        {
            // A handed-over buffer is older than the one being filled: it goes first. One may be handed over
            // while the previous one is written, so take them one at a time until the current one is taken.
            var current = false;
            while (!current)
            {
                byte[] full;
                int used;
                lock (lines)
                {
                    if (lines.TakeHandedOver() is { } handedOver)
                    {
                        (full, used) = handedOver;
                    }
                    else if (lines.Used > 0)
                    {
                        lines.IdleTicks = 0;
                        (full, used) = lines.Swap();
                        current = true;
                    }
                    else
                    {
                        RetireWhenIdle(lines);
                        break;
                    }
                }

                Write(full, used);
                lines.GiveBack(full);
            }
        }
    }

    /// <summary>Under the buffer's lock.</summary>
    private void RetireWhenIdle(ThreadLines lines)
    {
        if (++lines.IdleTicks >= 100)
        {
            lines.Retired = true;
            lock (_threads)
            {
                _threads.Remove(lines);
            }
        }
    }

    /// <summary>
    /// Under the buffer's lock, from the request thread: its buffer is full. It goes to the writer and the thread
    /// goes on in its spare; with no spare (the writer has not written the last one yet) it writes both itself.
    /// </summary>
    private void HandOver(ThreadLines lines)
    {
        if (lines.TryHandOver())
        {
            _handedOver.Release();
            return;
        }

        if (lines.TakeHandedOver() is { } older)
        {
            Write(older.Full, older.Used);
            lines.GiveBack(older.Full);
        }

        WriteToStdout(lines);
    }

    /// <summary>Under the buffer's lock, from the request thread.</summary>
    private void WriteToStdout(ThreadLines lines)
    {
        Write(lines.Buffer, lines.Used);
        lines.Used = 0;
    }

    /// <summary>One write under <c>Console.Out</c>'s own lock, so the console logger's lines never land inside a batch.</summary>
    private void Write(byte[] bytes, int count)
    {
        var console = Console.Out;
        lock (console)
        {
            try
            {
                _stdout.Write(bytes, 0, count);
            }
            catch (IOException)
            {
                // stdout closed (the process is being torn down): nothing left to tell.
            }
        }
    }

    /// <summary>One thread's pending lines: a buffer being filled, and a spare the writer hands back after writing.</summary>
    private sealed class ThreadLines(AccessLogConsole owner)
    {
        private byte[]? _spare;
        private (byte[] Full, int Used)? _handedOver;

        public AccessLogConsole Owner { get; } = owner;

        public byte[] Buffer { get; private set; } = new byte[BufferBytes];

        public int Used { get; set; }

        public int IdleTicks { get; set; }

        public bool Retired { get; set; }

        public Span<byte> Free => Buffer.AsSpan(Used);

        public (byte[] Full, int Used) Swap()
        {
            var full = (Buffer, Used);
            Buffer = Interlocked.Exchange(ref _spare, null) ?? new byte[BufferBytes];
            Used = 0;
            return full;
        }

        public void GiveBack(byte[] buffer) => Interlocked.CompareExchange(ref _spare, buffer, null);

        /// <summary>Under the lock: the full buffer waits for the writer and the spare takes its place; false without a spare or with one waiting already.</summary>
        public bool TryHandOver()
        {
            if (_handedOver is not null || Interlocked.Exchange(ref _spare, null) is not { } spare)
            {
                return false;
            }

            _handedOver = (Buffer, Used);
            Buffer = spare;
            Used = 0;
            return true;
        }

        /// <summary>Under the lock.</summary>
        public (byte[] Full, int Used)? TakeHandedOver()
        {
            var handedOver = _handedOver;
            _handedOver = null;
            return handedOver;
        }
    }

    /// <summary>For formatters other than simple: the formatter's line, appended to the thread's buffer as UTF-8.</summary>
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

            var text = t_formatted ??= new StringWriter();
            sink._formatter.Write(new LogEntry<TState>(logLevel, AccessLog.Category, eventId, state, exception, formatter), null, text);
            var builder = text.GetStringBuilder();
            if (builder.Length > 0)
            {
                sink.Append(builder);
            }

            builder.Clear();
            if (builder.Capacity > 4096)
            {
                builder.Capacity = 1024;
            }
        }
    }

    private void Append(StringBuilder text)
    {
        var lines = Acquire();
        try
        {
            foreach (var chunk in text.GetChunks())
            {
                if (Encoding.UTF8.GetMaxByteCount(chunk.Length) > lines.Free.Length)
                {
                    HandOver(lines);
                }

                if (Encoding.UTF8.GetMaxByteCount(chunk.Length) > lines.Free.Length)
                {
                    var bytes = Encoding.UTF8.GetBytes(chunk.ToArray());
                    Write(bytes, bytes.Length);
                    continue;
                }

                lines.Used += Encoding.UTF8.GetBytes(chunk.Span, lines.Free);
            }
        }
        finally
        {
            Monitor.Exit(lines);
        }
    }
}

/// <summary>
/// One access line's values, laid out as the simple console formatter lays out the source-generated
/// <see cref="AccessLog.Request"/> message (timestamp format from <see cref="ObservabilityExtensions"/>),
/// written as UTF-8 without allocating. Control characters in any value (a decoded <c>%0A</c> in a path) are
/// written percent-encoded: a client cannot start a forged line.
/// </summary>
internal readonly ref struct AccessLine
{
    public DateTime Time { get; init; }
    public string Method { get; init; }
    public string Path { get; init; }
    public int Status { get; init; }
    public double DurationMs { get; init; }
    public IPAddress? Client { get; init; }
    public string Route { get; init; }
    public string Caller { get; init; }
    public string Upstream { get; init; }
    public string Reason { get; init; }

    private static ReadOnlySpan<byte> Level => " info: Tribuo.Gateway.Access[900] "u8;

    public bool TryWrite(Span<byte> destination, out int written)
    {
        var w = new Utf8Writer(destination);
        w.Timestamp(Time);
        w.Raw(Level);
        w.Text(Method);
        w.Raw(" "u8);
        w.Text(Path);
        w.Raw(" "u8);
        w.Formatted(Status);
        w.Raw(" "u8);
        w.Tenths(DurationMs);
        w.Raw("ms client="u8);
        w.Formatted(Client);
        w.Raw(" route="u8);
        w.Text(Route);
        w.Raw(" caller="u8);
        w.Text(Caller);
        w.Raw(" upstream="u8);
        w.Text(Upstream);
        w.Raw(" reason="u8);
        w.Text(Reason);
        w.Raw("\n"u8);
        written = w.Position;
        return !w.Overflowed;
    }

    /// <summary>Appends to a span; on overflow it stops writing and says so once at the end.</summary>
    private ref struct Utf8Writer(Span<byte> destination)
    {
        private readonly Span<byte> _destination = destination;

        public int Position { get; private set; }

        public bool Overflowed { get; private set; }

        private Span<byte> Free => _destination[Position..];

        public void Raw(scoped ReadOnlySpan<byte> bytes)
        {
            if (!Overflowed && bytes.TryCopyTo(Free))
            {
                Position += bytes.Length;
            }
            else
            {
                Overflowed = true;
            }
        }

        public void Text(string? value)
        {
            if (Overflowed || string.IsNullOrEmpty(value))
            {
                return;
            }

            // ASCII without control characters, the common case: one pass, byte per char.
            var free = Free;
            if (value.Length <= free.Length && !value.AsSpan().ContainsAnyExceptInRange(' ', '~'))
            {
                Ascii.FromUtf16(value, free, out var copied);
                Position += copied;
                return;
            }

            Span<byte> utf8 = stackalloc byte[4];
            foreach (var rune in value.EnumerateRunes())
            {
                // C0 and C1 controls, and the two Unicode line breaks a log reader would split a line at.
                if (rune.Value < 0x20 || rune.Value is >= 0x7f and <= 0x9f or 0x2028 or 0x2029)
                {
                    var length = rune.EncodeToUtf8(utf8);
                    foreach (var b in utf8[..length])
                    {
                        Span<byte> escaped = [(byte)'%', Hex(b >> 4), Hex(b & 0xf)];
                        Raw(escaped);
                    }
                }
                else if (!Overflowed && rune.TryEncodeToUtf8(Free, out var n))
                {
                    Position += n;
                }
                else
                {
                    Overflowed = true;
                }
            }
        }

        /// <summary>A number or an address, formatted straight into the span (invariant, no string).</summary>
        public void Formatted<T>(T? value) where T : IUtf8SpanFormattable
        {
            if (value is null || Overflowed)
            {
                return;
            }

            if (value.TryFormat(Free, out var n, default, System.Globalization.CultureInfo.InvariantCulture))
            {
                Position += n;
            }
            else
            {
                Overflowed = true;
            }
        }

        /// <summary>Milliseconds with one decimal, as the format <c>0.0</c> writes them.</summary>
        public void Tenths(double milliseconds)
        {
            var tenths = (long)Math.Round(Math.Max(milliseconds, 0) * 10, MidpointRounding.AwayFromZero);
            Formatted(tenths / 10);
            Span<byte> fraction = [(byte)'.', (byte)('0' + tenths % 10)];
            Raw(fraction);
        }

        /// <summary><c>yyyy-MM-ddTHH:mm:ss.fffZ</c> in UTC, without the custom-format parser.</summary>
        public void Timestamp(DateTime time)
        {
            Span<byte> t = stackalloc byte[24];
            Digits(t[..4], time.Year);
            t[4] = (byte)'-';
            Digits(t.Slice(5, 2), time.Month);
            t[7] = (byte)'-';
            Digits(t.Slice(8, 2), time.Day);
            t[10] = (byte)'T';
            Digits(t.Slice(11, 2), time.Hour);
            t[13] = (byte)':';
            Digits(t.Slice(14, 2), time.Minute);
            t[16] = (byte)':';
            Digits(t.Slice(17, 2), time.Second);
            t[19] = (byte)'.';
            Digits(t.Slice(20, 3), time.Millisecond);
            t[23] = (byte)'Z';
            Raw(t);
        }

        private static void Digits(Span<byte> destination, int value)
        {
            for (var i = destination.Length - 1; i >= 0; i--)
            {
                destination[i] = (byte)('0' + value % 10);
                value /= 10;
            }
        }

        private static byte Hex(int nibble) => (byte)(nibble < 10 ? '0' + nibble : 'A' + nibble - 10);
    }
}
