using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Tribuo.Gateway.Routes;
using Tribuo.Gateway.Tests.Infrastructure;
using Xunit;

namespace Tribuo.Gateway.Tests.Routes;

public sealed class HotReloadTests : IAsyncLifetime
{
    private EchoUpstream _upstream = null!;
    private GatewayApp _gateway = null!;
    private HttpClient _client = null!;

    private string Config(params string[] publicPaths) =>
        RoutesJson.With(_upstream.Address, publicPaths.Select((p, i) => RoutesJson.Route($"r{i}", p, "public")).ToArray());

    public async ValueTask InitializeAsync()
    {
        _upstream = await EchoUpstream.StartAsync();
        _gateway = GatewayApp.Start(Config("/a"));
        _client = _gateway.NewClient();
    }

    [Fact]
    public async Task A_valid_edit_is_live_within_two_seconds()
    {
        var token = TestContext.Current.CancellationToken;
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync("/b", token)).StatusCode);

        var watch = Stopwatch.StartNew();
        _gateway.WriteRoutes(Config("/a", "/b"));
        while ((await _client.GetAsync("/b", token)).StatusCode != HttpStatusCode.OK)
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), "the new route was not served within 2 s");
            await Task.Delay(50, token);
        }
    }

    /// <summary>
    /// Kubernetes mounts a ConfigMap as <c>routes.json -&gt; ..data/routes.json</c>, <c>..data -&gt; ..&lt;timestamp&gt;</c>, and
    /// publishes an edit by writing a new timestamped folder and swapping <c>..data</c> to it. An outside probe: the
    /// gateway watched the link's own times and never reloaded.
    /// </summary>
    [Fact]
    public async Task A_configmap_style_symlink_swap_is_live_within_two_seconds()
    {
        var token = TestContext.Current.CancellationToken;
        var mount = Directory.CreateTempSubdirectory("tgw-configmap-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(mount, "..2026_01"));
            await File.WriteAllTextAsync(Path.Combine(mount, "..2026_01", "routes.json"), Config("/a"), token);
            File.CreateSymbolicLink(Path.Combine(mount, "..data"), "..2026_01");
            File.CreateSymbolicLink(Path.Combine(mount, "routes.json"), Path.Combine("..data", "routes.json"));
            await using var gateway = GatewayApp.Start(Config("/a"), new Dictionary<string, string?> { ["Gateway:RoutesFile"] = Path.Combine(mount, "routes.json") });
            using var client = gateway.NewClient();
            Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/b", token)).StatusCode);

            // The kubelet's swap: a new folder, a new link beside the old, renamed over it.
            Directory.CreateDirectory(Path.Combine(mount, "..2026_02"));
            await File.WriteAllTextAsync(Path.Combine(mount, "..2026_02", "routes.json"), Config("/a", "/b"), token);
            File.CreateSymbolicLink(Path.Combine(mount, "..data_tmp"), "..2026_02");
            var swapped = await ChildProcess.RunAsync(ChildProcess.NewStartInfo("mv", mount, ["-T", "..data_tmp", "..data"]), TimeSpan.FromSeconds(30), "mv");
            Assert.Equal(0, swapped.ExitCode);
            Directory.Delete(Path.Combine(mount, "..2026_01"), recursive: true);

            var watch = Stopwatch.StartNew();
            while ((await client.GetAsync("/b", token)).StatusCode != HttpStatusCode.OK)
            {
                Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), "the swapped content was not served within 2 s");
                await Task.Delay(50, token);
            }
        }
        finally
        {
            Directory.Delete(mount, recursive: true);
        }
    }

    [Fact]
    public async Task A_reload_rebuilds_the_proxy_routes_only_not_the_gateways_own_endpoints()
    {
        // Rebuilding them compiled every minimal-API delegate again on each reload: most of a large reload's CPU.
        var token = TestContext.Current.CancellationToken;
        var endpoints = _gateway.Services.GetRequiredService<EndpointDataSource>();
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync("/healthz", token)).StatusCode);
        var health = Health(endpoints);
        Assert.NotEmpty(health);

        _gateway.WriteRoutes(Config("/a", "/c"));
        var watch = Stopwatch.StartNew();
        while ((await _client.GetAsync("/c", token)).StatusCode != HttpStatusCode.OK)
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), "the new route was not served within 2 s");
            await Task.Delay(25, token);
        }

        // Every data source is read again after a change, one after another: wait for this one to hold the new route.
        while (!endpoints.Endpoints.Any(e => e.DisplayName == "r1"))
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), "the endpoint table never held the new route");
            await Task.Delay(25, token);
        }

        var after = Health(endpoints);
        Assert.Equal(health.Length, after.Length);
        Assert.All(health.Zip(after), pair => Assert.Same(pair.First, pair.Second));
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync("/healthz", token)).StatusCode);

        static RouteEndpoint[] Health(EndpointDataSource source) =>
            source.Endpoints.OfType<RouteEndpoint>().Where(e => e.RoutePattern.RawText == "/healthz").ToArray();
    }

    [Fact]
    public async Task An_invalid_edit_is_logged_and_the_previous_configuration_keeps_serving()
    {
        var token = TestContext.Current.CancellationToken;
        var routes = _gateway.Services.GetRequiredService<RoutesFileConfigProvider>();
        var loadedAt = routes.Status.LoadedAt;

        _gateway.WriteRoutes(RoutesJson.With(_upstream.Address, RoutesJson.Route("broken", "/b", "sometimes")));
        // The watcher may first catch the file half written (a JSON error): wait for the complete file's error.
        await WaitUntilAsync(() => routes.Status.LastError?.Contains("route 'broken': Metadata.Auth", StringComparison.Ordinal) == true, token);

        Assert.Equal(loadedAt, routes.Status.LoadedAt);
        Assert.Contains(_gateway.Logs, line => line.Contains("route 'broken': Metadata.Auth") && line.StartsWith("Error"));
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync("/a", token)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync("/b", token)).StatusCode);

        // Fixing the file clears the error and applies it.
        _gateway.WriteRoutes(Config("/a", "/b"));
        await WaitUntilAsync(() => routes.Status.LastError is null && routes.Status.Routes == 2, token);
        // YARP swaps its endpoints just after the provider publishes: wait for the route itself.
        var deadline = Stopwatch.StartNew();
        while ((await _client.GetAsync("/b", token)).StatusCode != HttpStatusCode.OK)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(2), "the fixed file was not applied within 2 s");
            await Task.Delay(25, token);
        }
    }

    /// <summary>
    /// An outside review: one invalid save was logged and counted twice, by the watcher and then by the 1 s poll. Each
    /// rejected content is reported once, a different invalid content again, and the same one again after a valid file.
    /// </summary>
    [Fact]
    public async Task A_rejected_change_is_logged_and_counted_once()
    {
        var token = TestContext.Current.CancellationToken;
        var routes = _gateway.Services.GetRequiredService<RoutesFileConfigProvider>();
        var factory = _gateway.Services.GetRequiredService<IMeterFactory>();
        var counted = new ConcurrentQueue<string>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            // This gateway's meter only: the other tests' gateways in this process have their own.
            if (instrument.Name == "tribuo_gateway_config_reloads" && ReferenceEquals(instrument.Meter.Scope, factory))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "result")
                {
                    counted.Enqueue((string)tag.Value!);
                }
            }
        });
        listener.Start();

        var rejectedLines = () => _gateway.Logs.Count(l => l.Contains("Routes file change rejected", StringComparison.Ordinal));
        var rejectedCount = () => counted.Count(r => r == "rejected");
        var broken = RoutesJson.With(_upstream.Address, RoutesJson.Route("broken", "/b", "sometimes"));

        _gateway.WriteRoutes(broken);
        await WaitUntilAsync(() => routes.Status.LastError?.Contains("route 'broken'", StringComparison.Ordinal) == true, token);
        await PastThePollAsync(token);
        Assert.Equal(1, rejectedLines());
        Assert.Equal(1, rejectedCount());

        // Another invalid content is another rejection.
        _gateway.WriteRoutes(RoutesJson.With(_upstream.Address, RoutesJson.Route("broken2", "/b", "never")));
        await WaitUntilAsync(() => routes.Status.LastError?.Contains("route 'broken2'", StringComparison.Ordinal) == true, token);
        await PastThePollAsync(token);
        Assert.Equal(2, rejectedLines());
        Assert.Equal(2, rejectedCount());

        // A deleted file too, once.
        File.Delete(_gateway.RoutesFile);
        await WaitUntilAsync(() => routes.Status.LastError?.Contains("cannot be read", StringComparison.Ordinal) == true, token);
        await PastThePollAsync(token);
        Assert.Equal(3, rejectedLines());
        Assert.Equal(3, rejectedCount());

        // A valid file is accepted once; the first invalid content saved again after it is reported again.
        var loaded = routes.Status.LoadedAt;
        _gateway.WriteRoutes(Config("/a", "/b"));
        await WaitUntilAsync(() => routes.Status.LoadedAt != loaded && routes.Status.LastError is null, token);
        _gateway.WriteRoutes(broken);
        await WaitUntilAsync(() => routes.Status.LastError?.Contains("route 'broken'", StringComparison.Ordinal) == true, token);
        await PastThePollAsync(token);
        Assert.Equal(4, rejectedLines());
        Assert.Equal(4, rejectedCount());
        Assert.Equal(1, counted.Count(r => r == "ok"));
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync("/b", token)).StatusCode);

        // The poll runs every second and its reload 150 ms later: past two of them, every report of the change is in.
        static Task PastThePollAsync(CancellationToken token) => Task.Delay(TimeSpan.FromSeconds(2.5), token);
    }

    [Fact]
    public async Task No_request_fails_while_the_routes_are_reloaded_under_load()
    {
        var token = TestContext.Current.CancellationToken;
        var routes = _gateway.Services.GetRequiredService<RoutesFileConfigProvider>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(token);
        var failures = new List<string>();
        var succeeded = 0;

        var load = Enumerable.Range(0, 8).Select(async _ =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    using var response = await _client.GetAsync("/a", CancellationToken.None);
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        Interlocked.Increment(ref succeeded);
                    }
                    else
                    {
                        lock (failures) { failures.Add(response.StatusCode.ToString()); }
                    }
                }
                catch (HttpRequestException ex)
                {
                    lock (failures) { failures.Add(ex.Message); }
                }
            }
        }).ToArray();

        // Ten reloads, each one really applied (the second route alternates), while requests run.
        for (var i = 0; i < 10; i++)
        {
            var loaded = routes.Status.LoadedAt;
            _gateway.WriteRoutes(Config("/a", i % 2 == 0 ? "/x" : "/y"));
            await WaitUntilAsync(() => routes.Status.LoadedAt != loaded, token);
            await Task.Delay(100, token);
        }

        await stop.CancelAsync();
        await Task.WhenAll(load);

        Assert.Empty(failures);
        Assert.True(succeeded > 200, $"only {succeeded} requests ran during the reloads");
    }

    private static async Task WaitUntilAsync(Func<bool> condition, CancellationToken token)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(5), "condition not met within 5 s");
            await Task.Delay(25, token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _gateway.DisposeAsync();
        await _upstream.DisposeAsync();
    }
}
