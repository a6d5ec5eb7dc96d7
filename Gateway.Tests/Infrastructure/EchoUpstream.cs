using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.WebSockets;
using Xunit;

namespace Tribuo.Gateway.Tests.Infrastructure;

/// <summary>One request as the echo upstream saw it (also the JSON body it answers with, camelCase).</summary>
/// <param name="Method">HTTP method.</param>
/// <param name="Path">Request path (PathBase + Path, as Kestrel decoded it).</param>
/// <param name="RawTarget">The request target exactly as received (IHttpRequestFeature.RawTarget).</param>
/// <param name="Query">Query string including the leading '?', or "".</param>
/// <param name="Headers">Headers, case-insensitive lookup. Kestrel reports well-known header names in their canonical casing and other names as received.</param>
/// <param name="Body">Body as UTF-8 text ("" when empty).</param>
/// <param name="Host">The Host header (or HTTP/2 :authority).</param>
/// <param name="Protocol">HTTP/1.1, HTTP/2, ...</param>
/// <param name="Upstream">Name of the echo upstream that answered.</param>
public sealed record EchoedRequest(
    string Method,
    string Path,
    string RawTarget,
    string Query,
    IReadOnlyDictionary<string, string[]> Headers,
    string Body,
    string Host,
    string Protocol,
    string Upstream)
{
    /// <summary>First value of a header, or null.</summary>
    public string? Header(string name) => Headers.TryGetValue(name, out var values) && values.Length > 0 ? values[0] : null;

    /// <summary>Parses the JSON body an echo upstream answered with.</summary>
    public static EchoedRequest Parse(string json)
    {
        var parsed = JsonSerializer.Deserialize<EchoedRequest>(json, EchoUpstream.JsonOptions) ?? throw new FormatException("empty echo body");
        return parsed with { Headers = new Dictionary<string, string[]>(parsed.Headers, StringComparer.OrdinalIgnoreCase) };
    }
}

/// <summary>
/// A real HTTP/1.1 (and h2c prior-knowledge) upstream on 127.0.0.1 and a free port (Kestrel). Every request
/// gets a 200 <c>application/json</c> answer describing it (<see cref="EchoedRequest"/>) and is recorded in
/// <see cref="Received"/>. <see cref="SetStatus"/> makes one path answer with another status code.
/// WebSocket requests are recorded too, accepted, and echoed message by message.
/// Responses carry an <c>X-Echo-Upstream</c> header with <see cref="Name"/>, so a test that proxies to
/// several upstreams can tell which one answered.
/// </summary>
public sealed class EchoUpstream : IAsyncDisposable
{
    internal static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    private readonly WebApplication _app;
    private readonly List<EchoedRequest> _received = [];
    private readonly ConcurrentDictionary<string, int> _statusByPath = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, KeyValuePair<string, string>[]> _headersByPath = new(StringComparer.Ordinal);
    private int _disposed;
    private int _openWebSockets;

    private EchoUpstream(string name, WebApplication app, Uri address)
    {
        Name = name;
        _app = app;
        Address = address.ToString();
        Port = address.Port;
    }

    /// <summary>Name reported in <c>X-Echo-Upstream</c> and <see cref="EchoedRequest.Upstream"/>.</summary>
    public string Name { get; }

    /// <summary>Base address with a trailing slash, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public string Address { get; }

    public int Port { get; }

    /// <summary>Snapshot of the requests received so far, oldest first.</summary>
    public IReadOnlyList<EchoedRequest> Received
    {
        get
        {
            lock (_received)
            {
                return [.. _received];
            }
        }
    }

    /// <summary>Starts an echo upstream on 127.0.0.1 and a port chosen by the OS.</summary>
    public static async Task<EchoUpstream> StartAsync(string name = "echo", CancellationToken cancellationToken = default)
    {
        // CreateEmptyBuilder: no appsettings.json, environment variables or logging from the test output
        // directory can reconfigure this server (the Gateway's own settings are copied there).
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = typeof(EchoUpstream).Assembly.GetName().Name });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(options =>
        {
            options.AddServerHeader = false;
            options.Limits.MaxRequestBodySize = null;
            options.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http1AndHttp2);
        });

        builder.Services.AddWebSockets(_ => { });
        var app = builder.Build();
        app.UseWebSockets();
        EchoUpstream? upstream = null;
        app.Run(context => upstream!.HandleAsync(context));
        await app.StartAsync(cancellationToken).ConfigureAwait(false);

        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
        var bound = addresses?.FirstOrDefault() ?? throw new InvalidOperationException("Kestrel reported no bound address");
        var port = new Uri(bound.Replace("[::]", "127.0.0.1", StringComparison.Ordinal)).Port;
        upstream = new EchoUpstream(name, app, new Uri($"http://127.0.0.1:{port}/"));
        return upstream;
    }

    /// <summary>WebSocket connections currently open with this upstream.</summary>
    public int OpenWebSockets => Volatile.Read(ref _openWebSockets);

    /// <summary>Makes requests whose path is exactly <paramref name="path"/> answer <paramref name="statusCode"/> (the echo body is still sent when the status allows one).</summary>
    public void SetStatus(string path, int statusCode) => _statusByPath[path] = statusCode;

    /// <summary>Makes requests whose path is exactly <paramref name="path"/> answer with these headers too.</summary>
    public void SetHeaders(string path, params KeyValuePair<string, string>[] headers) => _headersByPath[path] = headers;

    /// <summary>Removes every <see cref="SetStatus"/> override.</summary>
    public void ClearStatuses() => _statusByPath.Clear();

    /// <summary>Forgets the requests received so far.</summary>
    public void ClearReceived()
    {
        lock (_received)
        {
            _received.Clear();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await _app.StopAsync(cts.Token).ConfigureAwait(false);
        }
        finally
        {
            await _app.DisposeAsync().ConfigureAwait(false);
        }
    }

    public override string ToString() => $"echo upstream '{Name}' at {Address}";

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        string body;
        using (var reader = new StreamReader(request.Body, new UTF8Encoding(false), detectEncodingFromByteOrderMarks: false))
        {
            body = await reader.ReadToEndAsync(context.RequestAborted).ConfigureAwait(false);
        }

        var headers = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, values) in request.Headers)
        {
            headers[key] = values.Select(v => v ?? "").ToArray();
        }

        var echoed = new EchoedRequest(
            Method: request.Method,
            Path: request.PathBase.Add(request.Path).Value ?? "",
            RawTarget: context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? "",
            Query: request.QueryString.Value ?? "",
            Headers: headers,
            Body: body,
            Host: request.Host.Value ?? "",
            Protocol: request.Protocol,
            Upstream: Name);

        lock (_received)
        {
            _received.Add(echoed);
        }

        if (context.WebSockets.IsWebSocketRequest)
        {
            await EchoWebSocketAsync(context).ConfigureAwait(false);
            return;
        }

        var status = _statusByPath.TryGetValue(echoed.Path, out var overridden) ? overridden : StatusCodes.Status200OK;
        var response = context.Response;
        response.StatusCode = status;
        response.Headers["X-Echo-Upstream"] = Name;
        foreach (var (name, value) in _headersByPath.GetValueOrDefault(echoed.Path, []))
        {
            response.Headers.Append(name, value);
        }

        if (status is StatusCodes.Status204NoContent or StatusCodes.Status304NotModified || (status >= 100 && status < 200)
            || HttpMethods.IsHead(request.Method))
        {
            return;
        }

        response.ContentType = "application/json; charset=utf-8";
        await JsonSerializer.SerializeAsync(response.Body, echoed, JsonOptions, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>A WebSocket request (recorded like any other) is accepted and every message is sent back until the peer closes.</summary>
    private async Task EchoWebSocketAsync(HttpContext context)
    {
        using var socket = await context.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
        Interlocked.Increment(ref _openWebSockets);
        try
        {
            var buffer = new byte[16 * 1024];
            while (socket.State == System.Net.WebSockets.WebSocketState.Open)
            {
                var received = await socket.ReceiveAsync(buffer, context.RequestAborted).ConfigureAwait(false);
                if (received.MessageType == System.Net.WebSockets.WebSocketMessageType.Close)
                {
                    await socket.CloseOutputAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, null, CancellationToken.None).ConfigureAwait(false);
                    break;
                }

                await socket.SendAsync(buffer.AsMemory(0, received.Count), received.MessageType, received.EndOfMessage, context.RequestAborted).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is System.Net.WebSockets.WebSocketException or OperationCanceledException or IOException)
        {
            // The gateway closed the connection: what the revocation tests wait for.
        }
        finally
        {
            Interlocked.Decrement(ref _openWebSockets);
        }
    }
}

/// <summary>xunit v3 class fixture: one <see cref="EchoUpstream"/> per test class (requests recorded across the class's tests; call <see cref="EchoUpstream.ClearReceived"/> as needed).</summary>
public sealed class EchoUpstreamFixture : IAsyncLifetime
{
    private EchoUpstream? _upstream;

    /// <summary>The running upstream.</summary>
    public EchoUpstream Upstream => _upstream ?? throw new InvalidOperationException("EchoUpstreamFixture was not initialized");

    /// <summary>Shortcut for <c>Upstream.Address</c>.</summary>
    public string Address => Upstream.Address;

    public async ValueTask InitializeAsync() => _upstream = await EchoUpstream.StartAsync().ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        if (_upstream is not null)
        {
            await _upstream.DisposeAsync().ConfigureAwait(false);
        }
    }
}
