using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using Tribuo.Gateway.Keys;
using Tribuo.Gateway.Tests.Infrastructure;
using Xunit;
using static Tribuo.Gateway.Tests.Keys.KeysTestBed;

namespace Tribuo.Gateway.Tests.Keys;

/// <summary>
/// DESIGN §4: a key changed through the admin API is refused by that instance before the call returns, by the
/// others within a second, and a WebSocket opened with it is closed within a second. Real Redis, two gateways,
/// real WebSockets through YARP to the echo upstream.
/// </summary>
public sealed class RevocationTests(RedisFixture redis) : IClassFixture<RedisFixture>, IAsyncLifetime
{
    /// <summary>The requirement is 1 s; the assertion leaves room for a loaded 2-core machine to schedule the close.</summary>
    private static readonly TimeSpan CloseDeadline = TimeSpan.FromSeconds(2.5);

    private KeysTestBed _bed = null!;
    private GatewayApp _a = null!;
    private GatewayApp _b = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _bed = await KeysTestBed.StartAsync(redis.RequireServer());
        _a = _bed.StartGateway();
        _b = _bed.StartGateway();
        await _bed.SeedKeysAsync(_a);
    }

    public ValueTask DisposeAsync() => _bed.DisposeAsync();

    private static async Task<HttpResponseMessage> AdminAsync(GatewayApp gateway, HttpMethod method, string path, object? body = null)
    {
        using var client = gateway.NewClient();
        using var request = new HttpRequestMessage(method, path);
        request.Headers.TryAddWithoutValidation("Authorization", $"KEY {StarSecret}");
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        return await client.SendAsync(request, Ct);
    }

    private static async Task<string> CreateKeyAsync(GatewayApp gateway, string id)
    {
        using var response = await AdminAsync(gateway, HttpMethod.Post, "/gateway/keys", new { id, name = id, scopes = new[] { "docs:read" } });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        return json.RootElement.GetProperty("secret").GetString()!;
    }

    private static async Task<HttpStatusCode> GetAsync(GatewayApp gateway, string secret)
    {
        using var client = gateway.NewClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/docs/x");
        request.Headers.TryAddWithoutValidation("Authorization", $"KEY {secret}");
        using var response = await client.SendAsync(request, Ct);
        return response.StatusCode;
    }

    [Theory]
    [InlineData("redis")]
    [InlineData("embedded")]
    public async Task The_instance_that_revoked_a_key_refuses_it_as_soon_as_the_delete_returns(string store)
    {
        await using var embedded = store == "embedded" ? GatewayApp.Start(_bed.Routes) : null;
        var gateway = embedded ?? _a;
        if (embedded is not null)
        {
            await _bed.SeedKeysAsync(embedded);
        }

        for (var i = 0; i < 5; i++)
        {
            var secret = await CreateKeyAsync(gateway, $"short-lived-{i}");
            Assert.Equal(HttpStatusCode.OK, await GetAsync(gateway, secret)); // cached on this instance

            using var revoked = await AdminAsync(gateway, HttpMethod.Delete, $"/gateway/keys/short-lived-{i}");
            Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);

            Assert.Equal(HttpStatusCode.Unauthorized, await GetAsync(gateway, secret));
        }
    }

    public static TheoryData<string> Changes => ["revoke", "disable", "rotate", "expire", "unscope"];

    [Theory]
    [MemberData(nameof(Changes))]
    public async Task A_websocket_opened_with_a_key_is_closed_on_every_instance_when_the_key_stops_being_valid(string change)
    {
        var id = $"ws-{change}";
        var secret = await CreateKeyAsync(_a, id);
        if (change == "expire")
        {
            using var expiring = await AdminAsync(_a, HttpMethod.Patch, $"/gateway/keys/{id}", new { expires = DateTimeOffset.UtcNow.AddSeconds(3) });
            Assert.Equal(HttpStatusCode.OK, expiring.StatusCode);
        }

        using var onA = await OpenAsync(_a, secret);
        using var onB = await OpenAsync(_b, secret);
        await EchoAsync(onA);
        await EchoAsync(onB);

        var watch = Stopwatch.StartNew();
        if (change != "expire")
        {
            using var response = change switch
            {
                "revoke" => await AdminAsync(_a, HttpMethod.Delete, $"/gateway/keys/{id}"),
                "disable" => await AdminAsync(_a, HttpMethod.Patch, $"/gateway/keys/{id}", new { disabled = true }),
                // Still a valid key, no longer one that reaches the socket's route.
                "unscope" => await AdminAsync(_a, HttpMethod.Patch, $"/gateway/keys/{id}", new { scopes = new[] { "billing" } }),
                _ => await AdminAsync(_a, HttpMethod.Post, $"/gateway/keys/{id}/rotate"),
            };
            Assert.True(response.IsSuccessStatusCode, $"{change}: {(int)response.StatusCode}");
            watch.Restart();
            Assert.Equal(change == "unscope" ? HttpStatusCode.Forbidden : HttpStatusCode.Unauthorized, await GetAsync(_a, secret));
        }

        var closedA = await ClosedWithinAsync(onA, change == "expire" ? CloseDeadline + TimeSpan.FromSeconds(3) : CloseDeadline);
        var closedB = await ClosedWithinAsync(onB, CloseDeadline);
        Assert.True(closedA, $"{change}: the WebSocket on the instance that made the change stayed open");
        Assert.True(closedB, $"{change}: the WebSocket on the other instance stayed open");
    }

    [Fact]
    public async Task A_websocket_of_a_key_that_stays_valid_stays_open()
    {
        using var socket = await OpenAsync(_a, ReaderSecret);
        await EchoAsync(socket);

        // Another key's revocation wakes the check; this socket must survive it and the next ticks.
        var other = await CreateKeyAsync(_a, "unrelated");
        using var revoked = await AdminAsync(_a, HttpMethod.Delete, "/gateway/keys/unrelated");
        await Task.Delay(TimeSpan.FromSeconds(2), Ct);

        await EchoAsync(socket);
        Assert.Equal(WebSocketState.Open, socket.State);
        Assert.Equal(HttpStatusCode.Unauthorized, await GetAsync(_a, other));
    }

    /// <summary>
    /// A store that cannot be asked is no news about a key: past the stale window new requests get 503, but a
    /// WebSocket admitted before stays open (it used to be closed on every store blip, and ordinary requests in
    /// flight were reset); once the store answers, a key changed meanwhile closes it as usual.
    /// </summary>
    [Fact]
    public async Task A_websocket_stays_open_while_the_store_cannot_be_asked_and_closes_once_it_answers_that_the_key_changed()
    {
        var server = redis.RequireServer();
        var gateway = _bed.StartGateway(new Dictionary<string, string?>
        {
            ["Gateway:Keys:RevalidateAfter"] = "00:00:01",
            ["Gateway:Keys:StaleWhileUnreachable"] = "00:00:01",
        });
        using var socket = await OpenAsync(gateway, ReaderSecret);
        await EchoAsync(socket);

        await server.PauseAsync();
        try
        {
            var outage = Stopwatch.StartNew();
            while (await GetAsync(gateway, ReaderSecret) != HttpStatusCode.ServiceUnavailable)
            {
                Assert.True(outage.Elapsed < TimeSpan.FromSeconds(15), "the key still passed 15 s into the outage");
                await Task.Delay(100, Ct);
            }

            await Task.Delay(TimeSpan.FromSeconds(2.5), Ct); // two passes of the open-request check, both finding the store silent
            await EchoAsync(socket);
            Assert.Equal(WebSocketState.Open, socket.State);
        }
        finally
        {
            await server.ResumeAsync();
        }

        var keys = gateway.Services.GetRequiredService<KeyService>();
        var recovering = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await keys.UpdateAsync("reader", new KeyChanges(Disabled: true), "test", Ct);
                break;
            }
            catch (RedisException) when (recovering.Elapsed < TimeSpan.FromSeconds(15))
            {
                await Task.Delay(200, Ct); // the client may still be reconnecting to the resumed server
            }
        }

        Assert.True(await ClosedWithinAsync(socket, CloseDeadline), "the WebSocket of a key disabled after the outage stayed open");
    }

    private static async Task<ClientWebSocket> OpenAsync(GatewayApp gateway, string secret)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", $"KEY {secret}");
        var uri = new UriBuilder(gateway.BaseAddress) { Scheme = "ws", Path = "/docs/socket" }.Uri;
        await socket.ConnectAsync(uri, Ct);
        return socket;
    }

    private static async Task EchoAsync(ClientWebSocket socket)
    {
        var message = Encoding.UTF8.GetBytes("ping " + Guid.NewGuid());
        await socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, Ct);
        var buffer = new byte[1024];
        var received = await socket.ReceiveAsync(buffer, Ct);
        Assert.Equal(message, buffer[..received.Count]);
    }

    /// <summary>True when the gateway ends the connection before the deadline (a receive that fails or reads a close).</summary>
    private static async Task<bool> ClosedWithinAsync(ClientWebSocket socket, TimeSpan deadline)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(deadline);
        try
        {
            var buffer = new byte[1024];
            while (true)
            {
                var received = await socket.ReceiveAsync(buffer, timeout.Token);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    return true;
                }
            }
        }
        catch (OperationCanceledException) when (!Ct.IsCancellationRequested)
        {
            return false;
        }
        catch (WebSocketException)
        {
            return true;
        }
    }
}
