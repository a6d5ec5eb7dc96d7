using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Tribuo.Gateway.Hosting;
using Tribuo.Gateway.Tests.Infrastructure;
using Xunit;

namespace Tribuo.Gateway.Tests.Hosting;

/// <summary>Settings outside the files: a readable paragraph naming the setting and exit 2, never a stack trace; sample keys only in Development.</summary>
public sealed class StartupSettingsTests
{
    private static readonly TimeSpan ProcessTimeout = TimeSpan.FromSeconds(60);

    private static string[] Isolated()
    {
        var directory = Directory.CreateTempSubdirectory("tgw-settings-").FullName;
        File.WriteAllText(Path.Combine(directory, "routes.json"), """{ "Routes": {}, "Clusters": {} }""");
        return [$"--Gateway:DataDir={directory}", $"--Gateway:RoutesFile={Path.Combine(directory, "routes.json")}", "--urls=http://127.0.0.1:0"];
    }

    [Theory]
    [InlineData("--Gateway:TrustedProxies:0=10.0.0.0/33", "Gateway:TrustedProxies", "'10.0.0.0/33'")]
    [InlineData("--Gateway:Keys:RevalidateAfter=15s", "Gateway:Keys:RevalidateAfter", "'15s'")]
    [InlineData("--Gateway:Login:PasswordFailureWindow=soon", "Gateway:Login:PasswordFailureWindow", "'soon'")]
    // A keyword is named only when no password comes before it (what follows one may be the rest of the password).
    [InlineData("--ConnectionStrings:Redis=127.0.0.1:6379,bogus=1,password=hunter2-secret", "ConnectionStrings:Redis", "'bogus'")]
    [InlineData("--ConnectionStrings:Redis=127.0.0.1:6379,ssl=maybe,password=hunter2-secret", "ConnectionStrings:Redis", "'ssl'")]
    [InlineData("--ConnectionStrings:Postgres=Host=127.0.0.1;Passwrd=hunter2-secret", "ConnectionStrings:Postgres", "'passwrd'")]
    [InlineData("--ConnectionStrings:Postgres=Host=127.0.0.1;Port=abc;Password=hunter2-secret", "ConnectionStrings:Postgres", "'port'")]
    // Listening addresses Kestrel would only refuse while starting, with a stack trace (exit 134).
    [InlineData("--urls=http://127.0.0.1:99999", "urls", "'http://127.0.0.1:99999'")]
    [InlineData("--urls=garbage", "urls", "'garbage'")]
    [InlineData("--urls=ftp://127.0.0.1:8080", "urls", "'ftp://127.0.0.1:8080'")]
    // Redis endpoints the client drops without a word, then fails on from a background service.
    [InlineData("--ConnectionStrings:Redis=127.0.0.1:abc,password=hunter2-secret", "ConnectionStrings:Redis", "'127.0.0.1:abc'")]
    [InlineData("--ConnectionStrings:Redis=,,,", "ConnectionStrings:Redis", "no endpoint")]
    // Every Gateway:* section is read at start, so a value the binder cannot convert is named there.
    [InlineData("--Gateway:Performance:InlineScheduling=maybe", "Gateway:Performance:InlineScheduling", "'maybe'")]
    [InlineData("--Gateway:Audit:QueueSize=abc", "Gateway:Audit:QueueSize", "'abc'")]
    [InlineData("--Gateway:Audit:QueueSize=0", "Gateway:Audit:QueueSize", "allowed 1 to")]
    [InlineData("--Gateway:Console:EditRoutes=yes", "Gateway:Console:EditRoutes", "'yes'")]
    [InlineData("--Gateway:Metrics:UpstreamGauges=1", "Gateway:Metrics:UpstreamGauges", "'1'")]
    [InlineData("--Gateway:Login:LegacyPasswords=maybe", "Gateway:Login:LegacyPasswords", "'maybe'")]
    // Inside a provider (a dictionary entry): the reflection binder let these start before the settings were bound
    // by generated code (Native AOT), reading the provider as if the value were absent.
    [InlineData("--Gateway:Login:Providers:datapass:DataPass=perhaps", "Gateway:Login:Providers:datapass:DataPass", "'perhaps'")]
    [InlineData("--Gateway:Login:Providers:partner:LinkByEmail=sometimes", "Gateway:Login:Providers:partner:LinkByEmail", "'sometimes'")]
    // Values that parse but make no sense: named with the allowed range.
    [InlineData("--Gateway:Tokens:Lifetime=00:00:00", "Gateway:Tokens:Lifetime", "allowed 00:01:00 to 365.00:00:00")]
    [InlineData("--Gateway:Tokens:Lifetime=-1.00:00:00", "Gateway:Tokens:Lifetime", "'-1.00:00:00'")]
    [InlineData("--Gateway:Tokens:AssertionLifetime=00:05:00", "Gateway:Tokens:AssertionLifetime", "allowed 00:00:01 to 00:01:00")]
    [InlineData("--Gateway:Keys:RevalidateAfter=-00:00:01", "Gateway:Keys:RevalidateAfter", "allowed 00:00:00 to 1.00:00:00")]
    [InlineData("--Gateway:Keys:CacheSize=-1", "Gateway:Keys:CacheSize", "allowed 1 to 100000000")]
    [InlineData("--Gateway:Keys:LastUsedFlushInterval=00:00:00", "Gateway:Keys:LastUsedFlushInterval", "allowed 00:00:01")]
    [InlineData("--Gateway:Login:PasswordFailureLimit=0", "Gateway:Login:PasswordFailureLimit", "allowed 1 to 1000")]
    // Unknown settings are errors, not silently ignored.
    [InlineData("--Gateway:Keys:CacheSiz=10", "Gateway:Keys:CacheSiz", "not a setting")]
    [InlineData("--Gateway:PublicURI=https://login.test", "Gateway", "'PublicURI'")]
    [InlineData("--Gateway:Login:Providers:x:Authorty=https://id.test", "Gateway:Login:Providers:x:Authorty", "not a setting")]
    [InlineData("--Gateway:Roles:ops:Scope=api", "Gateway:Roles:ops", "'Scope'")]
    // A folder the embedded store cannot be created in.
    [InlineData("--Gateway:DataDir=/proc/nope", "Gateway:DataDir", "'/proc/nope'")]
    // The hub's URL becomes redirects: anything but an absolute http(s) URL with a host is refused.
    [InlineData("--Gateway:PublicUrl=not a url", "Gateway:PublicUrl", "'not a url'")]
    [InlineData("--Gateway:PublicUrl=ftp://x.test", "Gateway:PublicUrl", "'ftp://x.test'")]
    [InlineData("--Gateway:PublicUrl=/relative", "Gateway:PublicUrl", "'/relative'")]
    [InlineData("--Gateway:PublicUrl=javascript:alert(1)//", "Gateway:PublicUrl", "'javascript:alert(1)//'")]
    [InlineData("--Gateway:PublicUrl=//evil.test", "Gateway:PublicUrl", "'//evil.test'")]
    [InlineData("--Gateway:PublicUrl=https://login.test/?next=x", "Gateway:PublicUrl", "query")]
    [InlineData("--Gateway:PublicUrl=https://user@login.test", "Gateway:PublicUrl", "user info")]
    // Trust lists in plain form only: .NET reads 010 as octal and 10.1 as 10.0.0.1.
    [InlineData("--Gateway:TrustedProxies:0=010.0.0.1", "Gateway:TrustedProxies", "'010.0.0.1'")]
    [InlineData("--Gateway:TrustedProxies:0=10.1", "Gateway:TrustedProxies", "'10.1'")]
    [InlineData("--Gateway:TrustedProxies:0=10.0.0.0/08", "Gateway:TrustedProxies", "'10.0.0.0/08'")]
    // The one-value form of a list is read (it used to be ignored), so what it holds is checked too.
    [InlineData("--Gateway:TrustedProxies=127.0.0.1,010.0.0.1", "Gateway:TrustedProxies", "'010.0.0.1'")]
    [InlineData("--Gateway:Login:AllowedOrigins=https://docs.tribuo.cloud/path", "Gateway:Login:AllowedOrigins", "'https://docs.tribuo.cloud/path'")]
    // Browsers send an internationalized host in its xn-- form: a Unicode one would never match (and cannot be echoed).
    [InlineData("--Gateway:Login:AllowedOrigins:0=https://bücher.example", "Gateway:Login:AllowedOrigins", "'https://bücher.example'")]
    [InlineData("--Gateway:Login:Admins=not-an-email", "Gateway:Login:Admins", "'not-an-email'")]
    // A keys file that is configured but missing imports nothing; say so, as for a missing routes file.
    [InlineData("--Gateway:KeysFile=/nonexistent.json", "Gateway:KeysFile", "'/nonexistent.json'")]
    // OpenTelemetry's own variables, given as environment variables (no "--"), as operators set them. The exporter
    // skipped what it could not read and switched tracing on anyway, exporting nowhere (an outside tester).
    [InlineData("OTEL_EXPORTER_OTLP_ENDPOINT=garbage", "OTEL_EXPORTER_OTLP_ENDPOINT", "'garbage'")]
    [InlineData("OTEL_EXPORTER_OTLP_ENDPOINT=ftp://x", "OTEL_EXPORTER_OTLP_ENDPOINT", "'ftp://x'")]
    [InlineData("OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:99999", "OTEL_EXPORTER_OTLP_ENDPOINT", "'http://127.0.0.1:99999'")]
    [InlineData("OTEL_EXPORTER_OTLP_ENDPOINT=https://gateway:hunter2-secret@otel-collector:99999", "OTEL_EXPORTER_OTLP_ENDPOINT", "not shown")]
    [InlineData("--OTEL_EXPORTER_OTLP_ENDPOINT=otel-collector:4317", "OTEL_EXPORTER_OTLP_ENDPOINT", "'otel-collector:4317'")]
    [InlineData("OTEL_EXPORTER_OTLP_PROTOCOL=carrier-pigeon", "OTEL_EXPORTER_OTLP_PROTOCOL", "'carrier-pigeon'")]
    [InlineData("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=garbage", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "'garbage'")]
    [InlineData("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT=/v1/metrics", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "'/v1/metrics'")]
    [InlineData("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=http/json", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "'http/json'")]
    [InlineData("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL=GRPC", "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "'GRPC'")]
    // Headers often carry the collector's credentials: their value is never repeated. A pair without "=" made the
    // exporter throw while starting (a stack trace, exit 134).
    [InlineData("OTEL_EXPORTER_OTLP_HEADERS=hunter2-secret", "OTEL_EXPORTER_OTLP_HEADERS", "key=value")]
    [InlineData("OTEL_EXPORTER_OTLP_TRACES_HEADERS=api-key=hunter2-secret,", "OTEL_EXPORTER_OTLP_TRACES_HEADERS", "key=value")]
    [InlineData("OTEL_EXPORTER_OTLP_TIMEOUT=10s", "OTEL_EXPORTER_OTLP_TIMEOUT", "'10s'")]
    [InlineData("OTEL_BSP_SCHEDULE_DELAY=0", "OTEL_BSP_SCHEDULE_DELAY", "allowed 1 to")]
    [InlineData("OTEL_METRIC_EXPORT_INTERVAL=1m", "OTEL_METRIC_EXPORT_INTERVAL", "'1m'")]
    [InlineData("OTEL_SDK_DISABLED=maybe", "OTEL_SDK_DISABLED", "'maybe'")]
    public async Task An_unusable_setting_stops_the_gateway_with_a_paragraph_naming_it(string setting, string named, string value)
    {
        var result = setting.StartsWith("--", StringComparison.Ordinal)
            ? await GatewayProcess.RunAsync(ProcessTimeout, [.. Isolated(), setting])
            : await GatewayProcess.RunWithEnvironmentAsync(ProcessTimeout,
                new Dictionary<string, string> { [setting[..setting.IndexOf('=', StringComparison.Ordinal)]] = setting[(setting.IndexOf('=', StringComparison.Ordinal) + 1)..] }, Isolated());

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("cannot start", result.Error);
        Assert.Contains(named, result.Error);
        Assert.Contains(value, result.Error);
        Assert.DoesNotContain("   at ", result.Error + result.Output);
        Assert.DoesNotContain("hunter2-secret", result.Error + result.Output);
    }

    /// <summary>
    /// An outside probe: a provider named <c>failed</c> started, and its button led to the hub's error page; one named
    /// <c>password</c> would share the legacy accounts' identities (provider "password", subject = user id).
    /// </summary>
    [Theory]
    [InlineData("password")]
    [InlineData("Failed")]
    public async Task A_provider_named_like_the_hubs_own_paths_stops_the_gateway(string name)
    {
        var result = await GatewayProcess.RunAsync(ProcessTimeout, [.. Isolated(),
            $"--Gateway:Login:Providers:{name}:Authority=https://id.example", $"--Gateway:Login:Providers:{name}:ClientId=x",
            $"--Gateway:Login:Providers:{name}:ClientSecret=y", "--Gateway:Login:AllowedOrigins:0=https://docs.example"]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"'{name}' is reserved", result.Error);
    }

    /// <summary>
    /// An outside tester: a password holding the separator (<c>;</c> for Npgsql, <c>,</c> for StackExchange.Redis) made
    /// its end read as a keyword or an endpoint, which the message quoted. What follows a password is never repeated.
    /// </summary>
    [Theory]
    [InlineData("--ConnectionStrings:Postgres=Host=127.0.0.1;Password=hun;ter2secret=x", "ConnectionStrings:Postgres", new[] { "ter2secret", "hun" })]
    [InlineData("--ConnectionStrings:Redis=127.0.0.1:19499,password=abc,def:ghi", "ConnectionStrings:Redis", new[] { "def:ghi", "abc" })]
    [InlineData("--ConnectionStrings:Postgres=Host=127.0.0.1;Password=hun;Port=ter2secret", "ConnectionStrings:Postgres", new[] { "ter2secret", "hun" })]
    [InlineData("--ConnectionStrings:Postgres=Host=127.0.0.1;Pwd=hun;ter2secret", "ConnectionStrings:Postgres", new[] { "ter2secret", "hun" })]
    [InlineData("--ConnectionStrings:Postgres=Host=127.0.0.1;Password=\"hun;ter2secret", "ConnectionStrings:Postgres", new[] { "ter2secret", "hun" })]
    [InlineData("--ConnectionStrings:Redis=127.0.0.1:6379,password=hunter2-secret,bogus=1", "ConnectionStrings:Redis", new[] { "hunter2-secret", "bogus" })]
    [InlineData("--ConnectionStrings:Redis=127.0.0.1:6379,password=abc,xyzzy=ghi", "ConnectionStrings:Redis", new[] { "xyzzy", "abc", "ghi" })]
    [InlineData("--ConnectionStrings:Redis=127.0.0.1:6379,password=abc,ssl=def:ghi", "ConnectionStrings:Redis", new[] { "def:ghi", "abc" })]
    [InlineData("--ConnectionStrings:Redis=127.0.0.1:6379,password=abc,xyzzy:99999", "ConnectionStrings:Redis", new[] { "xyzzy", "abc" })]
    public async Task A_malformed_connection_string_is_refused_without_repeating_its_values(string setting, string named, string[] secrets)
    {
        var result = await GatewayProcess.RunAsync(ProcessTimeout, [.. Isolated(), setting]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("cannot start", result.Error);
        Assert.Contains(named, result.Error);
        Assert.DoesNotContain("   at ", result.Error + result.Output);
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(secret, result.Error + result.Output);
        }
    }

    /// <summary>An outside review: an instance with another key file than the store's came up "ready" and failed every login with a 500.</summary>
    [Fact]
    public async Task A_key_file_that_does_not_open_the_stored_signing_keys_stops_the_gateway()
    {
        // The first instance stays up (a test gateway's folder goes with it): the second shares its database.
        await using var first = GatewayApp.Start("""{ "Routes": {}, "Clusters": {} }""");
        var dataDir = Path.Combine(first.Directory, "data");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!first.Services.GetRequiredService<Tribuo.Gateway.Tokens.SigningKeys>().IsLoaded && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        var otherKeyFile = Path.Combine(Directory.CreateTempSubdirectory("tgw-other-kek-").FullName, "other.key");
        File.WriteAllText(otherKeyFile, Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));
        var routes = Path.Combine(Directory.CreateTempSubdirectory("tgw-settings-").FullName, "routes.json");
        File.WriteAllText(routes, """{ "Routes": {}, "Clusters": {} }""");

        var result = await GatewayProcess.RunAsync(ProcessTimeout,
            [$"--Gateway:DataDir={dataDir}", $"--Gateway:RoutesFile={routes}", "--urls=http://127.0.0.1:0", $"--Gateway:Secrets:KeyFile={otherKeyFile}"]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Gateway:Secrets:KeyFile: this key file does not open the signing keys already in the store", result.Error);
        Assert.DoesNotContain("   at ", result.Error + result.Output);
    }

    [Fact]
    public async Task A_list_set_both_as_one_value_and_indexed_is_refused_rather_than_one_form_winning()
    {
        var result = await GatewayProcess.RunAsync(ProcessTimeout, [.. Isolated(), "--Gateway:TrustedProxies=10.0.0.1", "--Gateway:TrustedProxies:0=10.0.0.2"]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Gateway:TrustedProxies is set both as one value ('10.0.0.1') and as a list", result.Error);
        Assert.DoesNotContain("   at ", result.Error + result.Output);
    }

    [Fact]
    public async Task Every_invalid_setting_is_listed_in_one_run()
    {
        var result = await GatewayProcess.RunAsync(ProcessTimeout,
            [.. Isolated(), "--Gateway:Keys:CacheSize=-1", "--Gateway:Tokens:Lifetime=00:00:00", "--Gateway:PublicUrl=//evil.test", "--urls=garbage"]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Gateway:Keys:CacheSize", result.Error);
        Assert.Contains("Gateway:Tokens:Lifetime", result.Error);
        Assert.Contains("Gateway:PublicUrl", result.Error);
        Assert.Contains("urls", result.Error);
    }

    [Theory]
    [InlineData("127.0.0.1", new[] { "127.0.0.1/32" })]
    [InlineData("10.0.0.0/8, 192.168.1.10 ,2001:db8::/32", new[] { "10.0.0.0/8", "192.168.1.10/32", "2001:db8::/32" })]
    [InlineData("", new string[0])]
    public void Trusted_proxies_may_be_one_comma_separated_value(string value, string[] networks)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Gateway:TrustedProxies"] = value }).Build();

        var trusted = new Tribuo.Gateway.Proxy.ForwardedHeaders(configuration).TrustedNetworks;

        Assert.Equal(networks, trusted.Select(n => n.ToString()));
    }

    [Fact]
    public void Trusted_proxies_indexed_keep_working_and_take_the_index_order()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Gateway:TrustedProxies:1"] = "10.0.0.2",
            ["Gateway:TrustedProxies:0"] = "10.0.0.1",
            ["Gateway:TrustedProxies"] = "", // what the test host gives the parent key: not a second form
        }).Build();

        var trusted = new Tribuo.Gateway.Proxy.ForwardedHeaders(configuration);

        Assert.Equal(["10.0.0.1/32", "10.0.0.2/32"], trusted.TrustedNetworks.Select(n => n.ToString()));
        Assert.True(trusted.IsTrusted(IPAddress.Parse("10.0.0.2")));
        Assert.False(trusted.IsTrusted(IPAddress.Parse("10.0.0.3")));
    }

    [Fact]
    public void Login_lists_may_be_one_comma_separated_value()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Gateway:Login:AllowedOrigins"] = "https://docs.tribuo.cloud,https://app.tribuo.cloud",
            ["Gateway:Login:QueryHandoffOrigins"] = "https://app.tribuo.cloud",
            ["Gateway:Login:Admins"] = "ops@tribuo.cloud",
            ["Gateway:Console:Roles"] = "admin, ops",
            ["Gateway:Roles:ops:Scopes"] = "api,metrics",
        }).Build();

        var login = Tribuo.Gateway.Login.LoginOptions.Read(configuration);

        Assert.Equal(["https://docs.tribuo.cloud", "https://app.tribuo.cloud"], login.AllowedOrigins);
        Assert.Equal(["https://app.tribuo.cloud"], login.QueryHandoffOrigins);
        Assert.Equal(["ops@tribuo.cloud"], login.Admins);
        Assert.Equal(["admin", "ops"], Tribuo.Gateway.OperatorsConsole.ConsoleOptions.Read(configuration).AllowedRoles);
        Assert.Equal(["api", "metrics"], new Tribuo.Gateway.Users.RoleScopes(configuration).For("ops"));
    }

    [Theory]
    [InlineData("https://login.tribuo.cloud/", "https://login.tribuo.cloud")]
    [InlineData("http://127.0.0.1:8080", "http://127.0.0.1:8080")]
    [InlineData("https://tribuo.cloud/hub", "https://tribuo.cloud/hub")]
    public void A_public_url_is_an_absolute_http_url(string value, string read)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Gateway:PublicUrl"] = value }).Build();

        Assert.Equal(read, PublicUrl.Read(configuration));
    }

    [Theory]
    [InlineData("OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel-collector:4317")]
    [InlineData("OTEL_EXPORTER_OTLP_ENDPOINT", "https://otel.example.com/prefix")]
    [InlineData("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://[::1]:4318/v1/traces")]
    [InlineData("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")]
    [InlineData("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", " http/protobuf ")]
    [InlineData("OTEL_EXPORTER_OTLP_HEADERS", "api-key=secret, x-tenant=a%3Db")]
    [InlineData("OTEL_EXPORTER_OTLP_TIMEOUT", "10000")]
    [InlineData("OTEL_BSP_EXPORT_TIMEOUT", "0")]
    [InlineData("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "2048")]
    [InlineData("OTEL_METRIC_EXPORT_INTERVAL", "60000")]
    [InlineData("OTEL_EXPORTER_OTLP_ENDPOINT", "")]
    public void OpenTelemetry_values_the_exporter_can_use_are_accepted(string setting, string value)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [setting] = value }).Build();

        foreach (var (_, read) in Tribuo.Gateway.Operations.ObservabilitySettings.OpenTelemetrySettings())
        {
            read(configuration);
        }
    }

    [Fact]
    public async Task A_port_in_use_stops_the_gateway_with_a_paragraph_naming_the_address()
    {
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        taken.Listen(1);
        var port = ((IPEndPoint)taken.LocalEndPoint!).Port;

        var result = await GatewayProcess.RunAsync(ProcessTimeout, [.. Isolated(), $"--urls=http://127.0.0.1:{port}"]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"127.0.0.1:{port}", result.Error);
        Assert.Contains("address already in use", result.Error);
        Assert.Contains("urls", result.Error);
        Assert.DoesNotContain("   at ", result.Error + result.Output);
    }

    /// <summary>
    /// An outside probe: a stop signal while the start still waited for an unreachable Redis ended the process with an
    /// unhandled TaskCanceledException (exit 134, a core dump and a stack trace on stderr).
    /// </summary>
    [Fact]
    public async Task A_stop_signal_while_starting_is_a_clean_stop_not_a_crash()
    {
        using var unreachable = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        unreachable.Bind(new IPEndPoint(IPAddress.Loopback, 0)); // bound, never listening: connections are refused
        var redis = $"--ConnectionStrings:Redis=127.0.0.1:{((IPEndPoint)unreachable.LocalEndPoint!).Port}";
        var start = ChildProcess.NewStartInfo("dotnet", Path.GetTempPath(),
            [Path.Combine(AppContext.BaseDirectory, "Tribuo.Gateway.dll"), .. Isolated(), redis]);
        using var gateway = System.Diagnostics.Process.Start(start)!;
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var routesLoaded = new TaskCompletionSource();
        gateway.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                output.Enqueue(line);
                if (line.Contains("Loaded", StringComparison.Ordinal))
                {
                    routesLoaded.TrySetResult();
                }
            }
        };
        gateway.ErrorDataReceived += (_, e) => output.Enqueue(e.Data ?? "");
        gateway.BeginOutputReadLine();
        gateway.BeginErrorReadLine();

        // The routes are loaded just before the host starts and waits for the stores (at least 5 s for the revocation
        // list on an unreachable Redis); the signal is sent inside that wait, once the host handles signals (a TERM
        // before that is the default action: exit 143).
        await routesLoaded.Task.WaitAsync(ProcessTimeout, TestContext.Current.CancellationToken);
        await Task.Delay(TimeSpan.FromSeconds(2), TestContext.Current.CancellationToken);
        Assert.False(gateway.HasExited, string.Join(System.Environment.NewLine, output));
        await ChildProcess.RunAsync(ChildProcess.NewStartInfo("kill", Path.GetTempPath(), ["-TERM", gateway.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]), ProcessTimeout, "kill");
        await gateway.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(ProcessTimeout, TestContext.Current.CancellationToken);
        gateway.WaitForExit(); // the output's last lines

        var said = string.Join(System.Environment.NewLine, output);
        Assert.Equal(0, gateway.ExitCode);
        Assert.DoesNotContain("Unhandled exception", said);
    }

    [Theory]
    [InlineData("Development", null, true)]
    [InlineData("Production", null, false)]
    [InlineData("Staging", null, false)]
    [InlineData("Production", "mine.json", true)]
    public void Sample_keys_are_seeded_only_in_Development_unless_a_keys_file_is_set(string environment, string? keysFile, bool seeds)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Gateway:KeysFile"] = keysFile }).Build();

        var paths = GatewayPaths.From(configuration, new Environment(environment));

        Assert.Equal(seeds, paths.KeysFile is not null);
        // Only a file someone configured must exist; the Development default may be absent (a fresh clone elsewhere).
        Assert.Equal(keysFile is not null, paths.KeysFileConfigured);
        if (keysFile is null && seeds)
        {
            Assert.EndsWith("keys.sample.json", paths.KeysFile);
        }
    }

    [Fact]
    public void The_container_image_carries_no_sample_keys()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Dockerfile")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("no Dockerfile above the test binaries");
        }

        var dockerfile = File.ReadAllText(Path.Combine(root, "Dockerfile"));
        Assert.DoesNotContain("keys.sample.json", dockerfile.Split('\n').Where(l => !l.TrimStart().StartsWith('#')));
        Assert.DoesNotContain("ASPNETCORE_ENVIRONMENT", dockerfile);
    }

    private sealed class Environment(string name) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = name;
        public string ApplicationName { get; set; } = "Tribuo.Gateway";
        public string ContentRootPath { get; set; } = Directory.GetCurrentDirectory();
        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }
}
