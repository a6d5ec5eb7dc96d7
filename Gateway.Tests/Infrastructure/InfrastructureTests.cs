using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Npgsql;
using StackExchange.Redis;
using Xunit;

namespace Tribuo.Gateway.Tests.Infrastructure;

public sealed class RedisFixtureTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    [Fact]
    public async Task Answers_through_StackExchangeRedis_goes_away_when_stopped_and_comes_back_on_the_same_port()
    {
        var server = redis.RequireServer();
        var port = server.Port;
        Assert.Equal($"127.0.0.1:{port},abortConnect=false,connectTimeout=2000,syncTimeout=2000", server.ConnectionString);

        using var mux = await ConnectionMultiplexer.ConnectAsync(server.ConnectionString);
        var db = mux.GetDatabase();
        Assert.True(mux.IsConnected);
        db.Ping();
        Assert.True(await db.StringSetAsync("infra:key", "value"));
        Assert.Equal("value", (string?)await db.StringGetAsync("infra:key"));

        await server.StopAsync();
        try
        {
            Assert.False(server.IsRunning);
            Assert.False(await server.PingAsync());
            using (var tcp = new TcpClient())
            {
                await Assert.ThrowsAnyAsync<SocketException>(() => tcp.ConnectAsync(IPAddress.Loopback, port, TestContext.Current.CancellationToken).AsTask());
            }

            Assert.ThrowsAny<Exception>(() => db.Ping());
            using (var fresh = ConnectionMultiplexer.Connect(server.ConnectionString))
            {
                Assert.False(fresh.IsConnected);
            }
        }
        finally
        {
            await server.StartAsync();
        }

        Assert.True(server.IsRunning);
        Assert.Equal(port, server.Port);
        Assert.True(await server.PingAsync());

        // The existing multiplexer reconnects by itself ...
        var reconnected = false;
        var clock = Stopwatch.StartNew();
        while (!reconnected && clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            try
            {
                db.Ping();
                reconnected = true;
            }
            catch (Exception)
            {
                await Task.Delay(200, TestContext.Current.CancellationToken);
            }
        }

        Assert.True(reconnected, "the multiplexer did not reconnect within 30 s of the restart");

        // ... to an empty server (no persistence), and a new one connects at once.
        Assert.True((await db.StringGetAsync("infra:key")).IsNull);
        using var again = await ConnectionMultiplexer.ConnectAsync(server.ConnectionString);
        Assert.True(again.IsConnected);
        Assert.True(await again.GetDatabase().StringSetAsync("infra:key", "second"));
        Assert.Equal("second", (string?)await db.StringGetAsync("infra:key"));
    }

    [Fact]
    public async Task StartOrSkipAsync_starts_an_independent_server_and_dispose_removes_it()
    {
        var fixtureServer = redis.RequireServer();
        string directory;
        int port;
        await using (var own = await RedisServer.StartOrSkipAsync())
        {
            Assert.NotEqual(fixtureServer.Port, own.Port);
            Assert.True(Directory.Exists(own.Directory));
            Assert.True(await own.PingAsync());
            await own.FlushAllAsync();
            directory = own.Directory;
            port = own.Port;
        }

        Assert.False(Directory.Exists(directory));
        using var tcp = new TcpClient();
        await Assert.ThrowsAnyAsync<SocketException>(() => tcp.ConnectAsync(IPAddress.Loopback, port, TestContext.Current.CancellationToken).AsTask());
        Assert.True(await fixtureServer.PingAsync());
    }
}

public sealed class PostgresFixtureTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task Per_class_database_answers_queries()
    {
        var connectionString = postgres.RequireServer();
        Assert.StartsWith("t_", postgres.DatabaseName);

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using (var one = new NpgsqlCommand("select 1", connection))
        {
            Assert.Equal(1, Convert.ToInt32(await one.ExecuteScalarAsync(TestContext.Current.CancellationToken)));
        }

        await using (var db = new NpgsqlCommand("select current_database()", connection))
        {
            Assert.Equal(postgres.DatabaseName, (string?)await db.ExecuteScalarAsync(TestContext.Current.CancellationToken));
        }

        await using (var roundTrip = new NpgsqlCommand(
            "create table if not exists probe(id int primary key, name text); insert into probe values (1, 'x') on conflict do nothing; select name from probe where id = 1",
            connection))
        {
            Assert.Equal("x", (string?)await roundTrip.ExecuteScalarAsync(TestContext.Current.CancellationToken));
        }
    }

    [Fact]
    public async Task Extra_databases_are_separate_and_empty()
    {
        postgres.RequireServer();
        var extra = await postgres.CreateExtraDatabaseAsync();
        Assert.NotEqual(postgres.ConnectionString, extra);

        await using var connection = new NpgsqlConnection(extra);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var tables = new NpgsqlCommand("select count(*) from information_schema.tables where table_schema = 'public'", connection);
        Assert.Equal(0L, (long)(await tables.ExecuteScalarAsync(TestContext.Current.CancellationToken))!);
    }
}

public sealed class EchoUpstreamFixtureTests(EchoUpstreamFixture echo) : IClassFixture<EchoUpstreamFixture>
{
    [Fact]
    public async Task Post_with_body_and_header_comes_back_echoed_and_recorded()
    {
        var upstream = echo.Upstream;
        Assert.Matches(@"^http://127\.0\.0\.1:\d+/$", upstream.Address);
        var before = upstream.Received.Count;

        using var http = new HttpClient { BaseAddress = new Uri(upstream.Address) };
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/things/%7Bid%7D?x=1&y=a%2Fb")
        {
            Content = new StringContent("{\"hello\":\"wörld\"}", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Test-Header", ["one", "two"]);
        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("echo", response.Headers.GetValues("X-Echo-Upstream").Single());
        var echoed = EchoedRequest.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

        Assert.Equal("POST", echoed.Method);
        Assert.Equal("/api/things/{id}", echoed.Path);
        Assert.Equal("/api/things/%7Bid%7D?x=1&y=a%2Fb", echoed.RawTarget);
        Assert.Equal("?x=1&y=a%2Fb", echoed.Query);
        Assert.Equal("{\"hello\":\"wörld\"}", echoed.Body);
        Assert.Equal($"127.0.0.1:{upstream.Port}", echoed.Host);
        Assert.Equal("HTTP/1.1", echoed.Protocol);
        Assert.Equal(["one", "two"], echoed.Headers["x-test-header"].SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries)));
        Assert.Equal("application/json; charset=utf-8", echoed.Header("Content-Type"));

        var recorded = Assert.Single(upstream.Received.Skip(before));
        Assert.Equal(echoed.RawTarget, recorded.RawTarget);
        Assert.Equal(echoed.Body, recorded.Body);
        Assert.Equal(echoed.Header("X-Test-Header"), recorded.Header("x-TEST-header"));
    }

    [Fact]
    public async Task Status_override_applies_to_its_path_only()
    {
        await using var upstream = await EchoUpstream.StartAsync("b", TestContext.Current.CancellationToken);
        upstream.SetStatus("/down", 503);
        using var http = new HttpClient { BaseAddress = new Uri(upstream.Address) };

        using (var down = await http.GetAsync("down", TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
            Assert.Equal("b", EchoedRequest.Parse(await down.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).Upstream);
        }

        using (var up = await http.GetAsync("up", TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, up.StatusCode);
        }

        Assert.Equal(["/down", "/up"], upstream.Received.Select(r => r.Path));
        upstream.ClearStatuses();
        using var again = await http.GetAsync("down", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }
}
