using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Xunit;

namespace Tribuo.Gateway.Tests.Infrastructure;

/// <summary>Proves the real-browser test infrastructure: <see cref="BrowserFixture"/> against a tiny Kestrel site.</summary>
public sealed class BrowserInfrastructureTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    [Fact]
    public async Task Chromium_launches_headless_from_the_installed_binary()
    {
        var chromium = browser.RequireBrowser();
        Assert.True(chromium.IsConnected);
        Assert.Equal(BrowserType.Chromium, chromium.BrowserType.Name);
        Assert.Matches(@"^\d+\.\d+\.\d+\.\d+$", chromium.Version);
        Assert.NotNull(browser.ExecutablePath);
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{browser.ExecutablePath}: Chromium {chromium.Version}; driver start {browser.DriverStartTime.TotalMilliseconds:0} ms, browser launch {browser.LaunchTime.TotalMilliseconds:0} ms");

        await using var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.SetContentAsync("<p id=x>rendered</p><script>document.getElementById('x').textContent += ' by ' + navigator.userAgent.includes('Chrome');</script>");
        Assert.Equal("rendered by true", await page.InnerTextAsync("#x"));
    }

    [Fact]
    public async Task Gateway_hostnames_resolve_to_loopback_and_keep_their_Host_header()
    {
        browser.RequireBrowser();
        await using var site = await HostEchoSite.StartAsync();
        await using var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();

        var response = await page.GotoAsync($"http://docs.tribuo.cloud:{site.HttpPort}/");
        Assert.NotNull(response);
        Assert.Equal(200, response.Status);
        Assert.Equal($"docs.tribuo.cloud:{site.HttpPort}", await page.InnerTextAsync("#host"));
        Assert.Equal($"http://docs.tribuo.cloud:{site.HttpPort}/", page.Url);

        // Following a link: a click that navigates to another mapped hostname.
        await page.ClickAsync("#to-login");
        await page.WaitForURLAsync($"http://login.tribuo.cloud:{site.HttpPort}/next");
        Assert.Equal($"login.tribuo.cloud:{site.HttpPort}", await page.InnerTextAsync("#host"));
        Assert.Equal("next page", await page.InnerTextAsync("h1"));

        Assert.Contains(site.Received, r => r.Host == $"docs.tribuo.cloud:{site.HttpPort}" && r.Path == "/");
        Assert.Contains(site.Received, r => r.Host == $"login.tribuo.cloud:{site.HttpPort}" && r.Path == "/next");

        // localhost is not remapped (EXCLUDE localhost) and still reaches the loopback listener.
        await page.GotoAsync($"http://localhost:{site.HttpPort}/");
        Assert.Equal($"localhost:{site.HttpPort}", await page.InnerTextAsync("#host"));
    }

    [Fact]
    public async Task Cookies_set_over_plain_http_on_a_mapped_host_come_back_and_stay_in_their_context()
    {
        browser.RequireBrowser();
        await using var site = await HostEchoSite.StartAsync();
        var docs = $"http://docs.tribuo.cloud:{site.HttpPort}";
        await using var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();

        await page.GotoAsync($"{docs}/set-cookie?name=session&value=abc123");
        await page.GotoAsync($"{docs}/");
        Assert.Equal("session=abc123", await page.InnerTextAsync("#cookie"));
        Assert.Equal("session=abc123", site.Received.Last(r => r.Path == "/").Cookie);

        var stored = await context.CookiesAsync([docs]);
        var cookie = Assert.Single(stored);
        Assert.Equal(("session", "abc123", "docs.tribuo.cloud", true, false), (cookie.Name, cookie.Value, cookie.Domain, cookie.HttpOnly, cookie.Secure));

        // Host-only: login.tribuo.cloud does not get docs' cookie.
        await page.GotoAsync($"http://login.tribuo.cloud:{site.HttpPort}/");
        Assert.Equal("", await page.InnerTextAsync("#cookie"));

        // A second context is a separate cookie jar.
        await using var other = await browser.NewContextAsync();
        var otherPage = await other.NewPageAsync();
        await otherPage.GotoAsync($"{docs}/");
        Assert.Equal("", await otherPage.InnerTextAsync("#cookie"));

        // Secure cookies are dropped over plain http on a non-localhost name (gateway tests that need them use https).
        await page.GotoAsync($"{docs}/set-cookie?name=secure&value=1&secure=true");
        await page.GotoAsync($"{docs}/");
        Assert.Equal("session=abc123", await page.InnerTextAsync("#cookie"));
    }

    [Fact]
    public async Task Https_with_a_self_signed_certificate_works_and_carries_Secure_cookies()
    {
        browser.RequireBrowser();
        await using var site = await HostEchoSite.StartAsync(https: true);
        var docs = $"https://docs.tribuo.cloud:{site.HttpsPort}";

        await using var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync($"{docs}/set-cookie?name=__Host-session&value=s1&secure=true");
        await page.GotoAsync($"{docs}/");
        Assert.Equal($"docs.tribuo.cloud:{site.HttpsPort}", await page.InnerTextAsync("#host"));
        Assert.Equal("__Host-session=s1", await page.InnerTextAsync("#cookie"));

        // With certificate checks on, the self-signed certificate is refused.
        await using var strict = await browser.NewContextAsync(ignoreHttpsErrors: false);
        var strictPage = await strict.NewPageAsync();
        var error = await Assert.ThrowsAsync<PlaywrightException>(() => strictPage.GotoAsync($"{docs}/"));
        Assert.Contains("ERR_CERT", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_screenshot_is_written_under_TestResults_as_a_valid_png()
    {
        browser.RequireBrowser();
        await using var site = await HostEchoSite.StartAsync();
        await using var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync($"http://docs.tribuo.cloud:{site.HttpPort}/");

        var clock = Stopwatch.StartNew();
        var path = await browser.ScreenshotAsync(page, "browser-infrastructure/host echo");
        TestContext.Current.TestOutputHelper?.WriteLine($"screenshot {path} in {clock.ElapsedMilliseconds} ms");

        Assert.Equal(Path.Combine(BrowserFixture.RepositoryRoot(), "TestResults", "screenshots", "browser-infrastructure_host_echo.png"), path);
        Assert.True(File.Exists(Path.Combine(BrowserFixture.RepositoryRoot(), "Tribuo.Gateway.sln")));
        var bytes = await File.ReadAllBytesAsync(path, TestContext.Current.CancellationToken);
        Assert.True(bytes.Length > 1000, $"{path} has only {bytes.Length} bytes");
        Assert.Equal(PngSignature, bytes[..8]);
        // IHDR: width and height, big-endian, right after the signature and the chunk header; the viewport is 1280x800.
        Assert.Equal(1280, (bytes[16] << 24) | (bytes[17] << 16) | (bytes[18] << 8) | bytes[19]);
        Assert.True(((bytes[20] << 24) | (bytes[21] << 16) | (bytes[22] << 8) | bytes[23]) >= 800);
    }

    /// <summary>
    /// A tiny Kestrel site on 127.0.0.1 (http, optionally https with a throwaway self-signed certificate) whose pages
    /// show the Host and Cookie headers they were requested with.
    /// </summary>
    private sealed class HostEchoSite : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private HostEchoSite(WebApplication app) => _app = app;

        public int HttpPort { get; private set; }

        public int HttpsPort { get; private set; }

        public ConcurrentQueue<(string Host, string Path, string Cookie)> Received { get; } = new();

        public static async Task<HostEchoSite> StartAsync(bool https = false)
        {
            // CreateEmptyBuilder: no appsettings.json or environment variables from the test output directory
            // (the Gateway's own settings are copied there) can add endpoints or logging to this server.
            var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = typeof(HostEchoSite).Assembly.GetName().Name });
            var certificate = https ? CreateCertificate() : null;
            builder.WebHost.UseKestrelCore().UseKestrelHttpsConfiguration().ConfigureKestrel(kestrel =>
            {
                kestrel.Listen(IPAddress.Loopback, 0);
                if (certificate is not null)
                {
                    kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(certificate));
                }
            });
            var app = builder.Build();
            var site = new HostEchoSite(app);
            app.Run(context =>
            {
                var request = context.Request;
                site.Received.Enqueue((request.Host.Value ?? "", request.Path.Value ?? "", request.Headers.Cookie.ToString()));
                switch (request.Path.Value)
                {
                    case "/":
                        return Page(context, "echo", $"<p><a id=to-login href=\"//login.tribuo.cloud:{request.Host.Port}/next\">go to login</a></p>");
                    case "/next":
                        return Page(context, "next page", "");
                    case "/set-cookie":
                        context.Response.Cookies.Append(request.Query["name"].ToString(), request.Query["value"].ToString(), new CookieOptions
                        {
                            Path = "/",
                            HttpOnly = true,
                            Secure = request.Query["secure"] == "true",
                            SameSite = SameSiteMode.Lax,
                        });
                        return Page(context, "cookie set", "");
                    default:
                        context.Response.StatusCode = StatusCodes.Status404NotFound;
                        return Task.CompletedTask;
                }
            });
            await app.StartAsync();

            foreach (var address in app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses)
            {
                var uri = new Uri(address);
                if (uri.Scheme == "https")
                {
                    site.HttpsPort = uri.Port;
                }
                else
                {
                    site.HttpPort = uri.Port;
                }
            }

            return site;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        private static Task Page(HttpContext context, string title, string extra)
        {
            var host = WebUtility.HtmlEncode(context.Request.Host.Value);
            var cookie = WebUtility.HtmlEncode(context.Request.Headers.Cookie.ToString());
            context.Response.ContentType = "text/html; charset=utf-8";
            return context.Response.WriteAsync(
                $$"""
                <!doctype html>
                <html><head><meta charset="utf-8"><title>{{title}}</title>
                <style>body { font-family: sans-serif; margin: 2em; background: #f4f7fb; } h1 { color: #1d4ed8; } dd { font-family: monospace; }</style>
                </head><body>
                <h1>{{title}}</h1>
                <dl><dt>Host</dt><dd id="host">{{host}}</dd><dt>Cookie</dt><dd id="cookie">{{cookie}}</dd></dl>
                {{extra}}
                </body></html>
                """);
        }

        private static X509Certificate2 CreateCertificate()
        {
            using var key = RSA.Create(2048);
            var request = new CertificateRequest("CN=tribuo-browser-test", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            var names = new SubjectAlternativeNameBuilder();
            names.AddDnsName("*.tribuo.cloud");
            names.AddDnsName("localhost");
            request.CertificateExtensions.Add(names.Build());
            using var selfSigned = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
            return X509CertificateLoader.LoadPkcs12(selfSigned.Export(X509ContentType.Pfx), null);
        }
    }
}
