using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

// The forwarding ceiling below YARP (bench/ceiling.sh). Same shape as bench/yarp-direct: one delegate, haproxy's exact
// KEY check, X-Forwarded-* added. `--Mode=httpclient` forwards through HttpMessageInvoker (SocketsHttpHandler) without
// YARP's forwarder; `--Mode=sockets` writes the request to a pooled socket and reads a Content-Length response back:
// the least work any forwarder can do here, with none of what makes a proxy safe (no validation of the upstream's
// answer, no chunked bodies, no request bodies, no timeouts). `--Inline=true` sets Kestrel's UnsafePreferInlineScheduling.
var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { Args = args });
builder.WebHost.UseKestrelCore().ConfigureKestrel(o => o.AddServerHeader = false);
builder.WebHost.UseSockets(o => o.UnsafePreferInlineScheduling = builder.Configuration["Inline"] == "true");
var app = builder.Build();

var upstream = new Uri(app.Configuration["Upstream"] ?? throw new InvalidOperationException("--Upstream=<url> is required"));
var expected = "KEY " + (app.Configuration["Key"] ?? throw new InvalidOperationException("--Key=<secret> is required"));
RequestDelegate forward = app.Configuration["Mode"] switch
{
    "httpclient" => new ClientForwarder(upstream).ForwardAsync,
    "sockets" => new SocketForwarder(upstream).ForwardAsync,
    var other => throw new InvalidOperationException($"--Mode={other}: httpclient or sockets"),
};

app.Run(context =>
{
    if (!string.Equals(context.Request.Headers.Authorization.ToString(), expected, StringComparison.Ordinal))
    {
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        return Task.CompletedTask;
    }

    return forward(context);
});
app.Run();

internal static class Forwarding
{
    /// <summary>Request headers not copied upstream: the credential, the host (the upstream's own) and hop-by-hop ones.</summary>
    public static bool Skipped(string name) => name is "Host" or "Authorization" or "Connection" or "Keep-Alive" or "Transfer-Encoding";
}

internal sealed class ClientForwarder(Uri upstream)
{
    private readonly string _base = upstream.GetLeftPart(UriPartial.Authority);
    private readonly HttpMessageInvoker _invoker = new(new SocketsHttpHandler
    {
        UseProxy = false, AllowAutoRedirect = false, AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false, ActivityHeadersPropagator = null,
    });

    public async Task ForwardAsync(HttpContext context)
    {
        var request = context.Request;
        using var message = new HttpRequestMessage(new HttpMethod(request.Method), _base + request.Path.Value + request.QueryString.Value)
        {
            Version = HttpVersion.Version11,
        };
        foreach (var (name, values) in request.Headers)
        {
            if (!Forwarding.Skipped(name))
            {
                message.Headers.TryAddWithoutValidation(name, (IEnumerable<string>)values);
            }
        }

        message.Headers.TryAddWithoutValidation("X-Forwarded-For", context.Connection.RemoteIpAddress?.ToString());
        message.Headers.TryAddWithoutValidation("X-Forwarded-Proto", request.Scheme);
        message.Headers.TryAddWithoutValidation("X-Forwarded-Host", request.Host.Value);
        using var answer = await _invoker.SendAsync(message, context.RequestAborted);
        context.Response.StatusCode = (int)answer.StatusCode;
        foreach (var (name, values) in answer.Headers.Concat(answer.Content.Headers))
        {
            if (!Forwarding.Skipped(name))
            {
                context.Response.Headers[name] = values.ToArray();
            }
        }

        await answer.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
    }
}

internal sealed class SocketForwarder(Uri upstream)
{
    private readonly ConcurrentBag<Connection> _idle = [];
    private readonly IPEndPoint _endpoint = new(IPAddress.Parse(upstream.Host), upstream.Port);
    private readonly string _hostLine = "Host: " + upstream.Authority + "\r\n";

    public async Task ForwardAsync(HttpContext context)
    {
        var request = context.Request;
        var head = new StringBuilder(1024).Append(request.Method).Append(' ').Append(request.Path.Value).Append(request.QueryString.Value).Append(" HTTP/1.1\r\n");
        foreach (var (name, values) in request.Headers)
        {
            if (!Forwarding.Skipped(name))
            {
                foreach (var value in values)
                {
                    head.Append(name).Append(": ").Append(value).Append("\r\n");
                }
            }
        }

        head.Append("X-Forwarded-For: ").Append(context.Connection.RemoteIpAddress).Append("\r\nX-Forwarded-Proto: ").Append(request.Scheme)
            .Append("\r\nX-Forwarded-Host: ").Append(request.Host.Value).Append("\r\n").Append(_hostLine).Append("\r\n");
        var bytes = Encoding.ASCII.GetBytes(head.ToString());

        // A pooled connection the upstream has closed meanwhile (nginx's 75 s keepalive_timeout between two runs) fails
        // before any answer: once, on a new connection (the pool may hold more stale ones).
        for (var attempt = 0; ; attempt++)
        {
            var connection = attempt == 0 && _idle.TryTake(out var idle) ? idle : await Connection.OpenAsync(_endpoint);
            try
            {
                await ExchangeAsync(context, connection, bytes);
                return;
            }
            catch (Exception) when (attempt == 0 && !context.Response.HasStarted)
            {
                connection.Socket.Dispose();
            }
        }
    }

    private async Task ExchangeAsync(HttpContext context, Connection connection, byte[] head)
    {
        await connection.Socket.SendAsync(head);
        int received = 0, end;
        do
        {
            var read = await connection.Socket.ReceiveAsync(connection.Buffer.AsMemory(received));
            if (read == 0)
            {
                throw new IOException("the upstream closed the connection");
            }

            received += read;
            end = connection.Buffer.AsSpan(0, received).IndexOf("\r\n\r\n"u8);
        }
        while (end < 0);

        var lines = Encoding.ASCII.GetString(connection.Buffer, 0, end).Split("\r\n");
        var status = int.Parse(lines[0].AsSpan(9, 3));
        var contentLength = 0;
        var reusable = true;
        var headers = new List<(string, string)>(lines.Length);
        foreach (var line in lines.AsSpan(1))
        {
            var colon = line.IndexOf(':');
            var (name, value) = (line[..colon], line[(colon + 1)..].Trim());
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                contentLength = int.Parse(value);
            }

            // nginx closes an upstream connection after its keepalive_requests (1,000) and says so here.
            reusable &= !(name.Equals("Connection", StringComparison.OrdinalIgnoreCase) && value.Equals("close", StringComparison.OrdinalIgnoreCase));
            if (!Forwarding.Skipped(name))
            {
                headers.Add((name, value));
            }
        }

        // Bodies that fit the buffer only: the bench upstream answers "ok\n".
        var body = end + 4;
        while (received < body + contentLength)
        {
            var read = await connection.Socket.ReceiveAsync(connection.Buffer.AsMemory(received));
            received += read > 0 ? read : throw new IOException("the upstream closed the connection");
        }

        context.Response.StatusCode = status;
        foreach (var (name, value) in headers)
        {
            context.Response.Headers.Append(name, value);
        }

        await context.Response.BodyWriter.WriteAsync(connection.Buffer.AsMemory(body, contentLength));
        if (reusable)
        {
            _idle.Add(connection);
        }
        else
        {
            connection.Socket.Dispose();
        }
    }

    private sealed class Connection(Socket socket)
    {
        public Socket Socket { get; } = socket;
        public byte[] Buffer { get; } = new byte[16384];

        public static async Task<Connection> OpenAsync(IPEndPoint endpoint)
        {
            var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(endpoint);
            return new Connection(socket);
        }
    }
}
