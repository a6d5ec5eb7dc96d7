using Tribuo.Gateway.Hosting;
using System.Security.Cryptography;
using Microsoft.Extensions.Primitives;
using Yarp.ReverseProxy.Configuration;

namespace Tribuo.Gateway.Routes;

/// <summary>
/// Feeds YARP from <c>routes.json</c> and keeps it current. The file is watched (plus a cheap poll, since
/// watchers miss edits on some file systems); each edit is parsed and validated completely before it is
/// published, so an invalid edit is logged and the previous configuration keeps serving. YARP swaps its
/// endpoints atomically on the change token, so requests in flight finish on the config they started with.
/// </summary>
internal sealed partial class RoutesFileConfigProvider : IProxyConfigProvider, IDisposable
{
    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(150);
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    private readonly string _path;
    private readonly RoutesLoader _loader;
    private readonly TimeProvider _time;
    private readonly ILogger<RoutesFileConfigProvider> _logger;
    private readonly Operations.GatewayMetrics _metrics;
    private readonly SemaphoreSlim _reloadLock = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private FileSystemWatcher? _watcher;
    private ITimer? _debounceTimer;
    private ITimer? _pollTimer;
    private (string? Target, DateTime WriteTime, long Length) _lastSeen;
    private byte[] _lastHash = [];
    private byte[] _lastRejected = [];
    private volatile PublishedConfig? _current;

    public RoutesFileConfigProvider(GatewayPaths paths, RoutesLoader loader, TimeProvider time, ILogger<RoutesFileConfigProvider> logger, Operations.GatewayMetrics metrics)
    {
        _metrics = metrics;
        _path = paths.RoutesFile;
        _loader = loader;
        _time = time;
        _logger = logger;
    }

    public RoutesStatus Status { get; private set; } = RoutesStatus.NotLoaded;

    public RoutesSnapshot? Snapshot => _current?.Snapshot;

    public IProxyConfig GetConfig() =>
        _current ?? throw new InvalidOperationException("The routes file has not been loaded yet; call LoadInitialAsync at start.");

    /// <summary>Loads the file at start; an invalid file throws so the process stops with a readable message.</summary>
    public async Task LoadInitialAsync()
    {
        var (text, unreadable) = await RoutesLoader.ReadAsync(_path);
        var result = unreadable ?? await _loader.ValidateTextAsync(text!, RoutesLoader.FileName(_path));
        if (result.Snapshot is null)
        {
            throw new GatewayConfigException(result.Describe(_path));
        }

        _lastHash = Hash(text);
        _lastSeen = FileStamp();
        Publish(result.Snapshot);
        Log.Loaded(_logger, _path, result.Snapshot.Routes.Count, result.Snapshot.Clusters.Count);
        StartWatching();
    }

    /// <summary>Re-reads the file; returns false when it was invalid (the previous configuration stays).</summary>
    public async Task<bool> ReloadAsync()
    {
        await _reloadLock.WaitAsync(_stopping.Token);
        var started = _time.GetTimestamp();
        try
        {
            // The file is read once: hashing one read and loading another let an edit between the two leave the
            // hash describing text that was never published, and a later edit back to it was then skipped.
            var (text, unreadable) = await RoutesLoader.ReadAsync(_path);
            var hash = Hash(text);
            if (text is not null && hash.AsSpan().SequenceEqual(_lastHash))
            {
                // Reverted to what is already serving: nothing to check, and no longer an error to report.
                Status = Status with { LastError = null, LastErrorAt = null };
                _lastRejected = [];
                return true;
            }

            // The watcher and the poll both see one change (and the console's save a third time): content already
            // rejected is not checked, logged or counted again. A missing or unreadable file is known by its error.
            var identity = text is not null ? hash : Hash(unreadable!.Describe(_path));
            if (identity.AsSpan().SequenceEqual(_lastRejected))
            {
                return false;
            }

            var result = unreadable ?? await _loader.ValidateTextAsync(text!, RoutesLoader.FileName(_path));

            if (result.Snapshot is null)
            {
                var message = result.Describe(_path);
                _lastRejected = identity;
                Status = Status with { LastError = message, LastErrorAt = _time.GetUtcNow() };
                Log.ReloadRejected(_logger, message);
                _metrics.ConfigReload(accepted: false);
                return false;
            }

            _lastHash = hash;
            _lastRejected = [];
            Publish(result.Snapshot);
            Log.Reloaded(_logger, _path, result.Snapshot.Routes.Count, result.Snapshot.Clusters.Count,
                (long)_time.GetElapsedTime(started).TotalMilliseconds);
            _metrics.ConfigReload(accepted: true);
            return true;
        }
        finally
        {
            _reloadLock.Release();
        }
    }

    private void Publish(RoutesSnapshot snapshot)
    {
        var previous = _current;
        _current = new PublishedConfig(snapshot, Guid.NewGuid().ToString("n"));
        Status = new RoutesStatus(_path, _time.GetUtcNow(), snapshot.Routes.Count, snapshot.Clusters.Count, null, null);
        previous?.SignalChange();
    }

    private void StartWatching()
    {
        _debounceTimer = _time.CreateTimer(_ => _ = ReloadQuietlyAsync(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        var directory = Path.GetDirectoryName(_path)!;
        try
        {
            _watcher = new FileSystemWatcher(directory, Path.GetFileName(_path))
            {
                NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size | NotifyFilters.CreationTime,
            };
            _watcher.Changed += (_, _) => ScheduleReload();
            _watcher.Created += (_, _) => ScheduleReload();
            _watcher.Renamed += (_, _) => ScheduleReload();
            _watcher.EnableRaisingEvents = true;
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or PlatformNotSupportedException)
        {
            Log.WatcherUnavailable(_logger, _path, ex.Message);
        }

        _pollTimer = _time.CreateTimer(_ => Poll(), null, PollInterval, PollInterval);
    }

    private void Poll()
    {
        var stamp = FileStamp();
        if (stamp != _lastSeen)
        {
            _lastSeen = stamp;
            ScheduleReload();
        }
    }

    private void ScheduleReload() => _debounceTimer?.Change(Debounce, Timeout.InfiniteTimeSpan);

    private async Task ReloadQuietlyAsync()
    {
        try
        {
            await ReloadAsync();
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // A reload must never take the process down; the previous configuration keeps serving.
            Status = Status with { LastError = ex.Message, LastErrorAt = _time.GetUtcNow() };
            Log.ReloadFailed(_logger, ex);
            _metrics.ConfigReload(accepted: false);
        }
    }

    /// <summary>
    /// What the 1 s poll compares: the file's time and length, and through a symbolic link those of its final target and
    /// the target's path. Kubernetes mounts a ConfigMap as <c>routes.json -&gt; ..data/routes.json</c> and swaps the
    /// <c>..data</c> link to a new folder: the link's own times never change, and neither the watcher (filtered on the
    /// file's name in its folder) nor the poll saw a new content (an outside probe: no reload at all).
    /// </summary>
    private (string?, DateTime, long) FileStamp()
    {
        try
        {
            var file = FinalFile.Of(_path);
            return file.Exists ? (file.FullName, file.LastWriteTimeUtc, file.Length) : default;
        }
        catch (IOException)
        {
            return default; // a link loop or a target being swapped: the next poll looks again
        }
    }

    private static byte[] Hash(string? text) => text is null ? [] : SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text));

    public void Dispose()
    {
        _stopping.Cancel();
        _watcher?.Dispose();
        _debounceTimer?.Dispose();
        _pollTimer?.Dispose();
    }

    private sealed class PublishedConfig(RoutesSnapshot snapshot, string revision) : IProxyConfig
    {
        private readonly CancellationTokenSource _changed = new();

        public RoutesSnapshot Snapshot { get; } = snapshot;
        public string RevisionId { get; } = revision;
        public IReadOnlyList<RouteConfig> Routes => Snapshot.Routes;
        public IReadOnlyList<ClusterConfig> Clusters => Snapshot.Clusters;
        public IChangeToken ChangeToken => new CancellationChangeToken(_changed.Token);

        public void SignalChange() => _changed.Cancel();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Loaded {Path}: {Routes} routes, {Clusters} clusters")]
        public static partial void Loaded(ILogger logger, string path, int routes, int clusters);

        [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "Reloaded {Path}: {Routes} routes, {Clusters} clusters, read, checked and published in {ElapsedMs} ms")]
        public static partial void Reloaded(ILogger logger, string path, int routes, int clusters, long elapsedMs);

        [LoggerMessage(EventId = 102, Level = LogLevel.Error, Message = "Routes file change rejected; the previous configuration keeps serving. {Errors}")]
        public static partial void ReloadRejected(ILogger logger, string errors);

        [LoggerMessage(EventId = 103, Level = LogLevel.Error, Message = "Routes reload failed; the previous configuration keeps serving")]
        public static partial void ReloadFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 104, Level = LogLevel.Warning, Message = "Cannot watch {Path} ({Reason}); falling back to polling")]
        public static partial void WatcherUnavailable(ILogger logger, string path, string reason);
    }
}

/// <summary>What <c>GET /gateway/config</c> and <c>/readyz</c> report about the routes file.</summary>
internal sealed record RoutesStatus(string? File, DateTimeOffset? LoadedAt, int Routes, int Clusters, string? LastError, DateTimeOffset? LastErrorAt)
{
    public static readonly RoutesStatus NotLoaded = new(null, null, 0, 0, null, null);
}
