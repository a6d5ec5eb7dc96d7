using System.Diagnostics;
using System.Text;
using Microsoft.Playwright;
using Xunit;

namespace Tribuo.Gateway.Tests.Infrastructure;

/// <summary>
/// xunit v3 class fixture: one headless Chromium per test class, driven through Microsoft.Playwright (its bundled
/// node driver, copied to <c>.playwright/</c> in the test output at build time). Playwright never downloads a
/// browser here: the fixture always launches an installed Chromium, Debian's <c>/usr/bin/chromium</c> by default
/// (<c>apt-get install chromium</c>) or the binary named by <c>TRIBUO_TEST_CHROMIUM</c>.
/// </summary>
/// <remarks>
/// <para>
/// Every hostname resolves to 127.0.0.1 inside this browser (<see cref="HostResolverRules"/>), so a page on
/// <c>http://docs.tribuo.cloud:{port}/</c> reaches whatever listens on <c>127.0.0.1:{port}</c> (the gateway) and
/// that server sees <c>Host: docs.tribuo.cloud:{port}</c>. <c>localhost</c> is left alone. /etc/hosts is not touched.
/// </para>
/// <para>
/// Cookies: Chromium drops <c>Secure</c> cookies (and every <c>__Host-</c>/<c>__Secure-</c> cookie) set over plain
/// http on such a hostname; only <c>localhost</c> counts as a secure origin without TLS. To test Secure cookies, serve
/// https (a self-signed certificate is fine: contexts ignore certificate errors by default).
/// </para>
/// <para>
/// Like <see cref="RedisFixture"/>, <see cref="InitializeAsync"/> never throws: when Chromium is missing or does not
/// start, the reason is kept and every test that calls <see cref="RequireBrowser"/> (or <see cref="NewContextAsync"/>)
/// is skipped, or failed under CI=true.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// public sealed class LoginPageTests(BrowserFixture browser) : IClassFixture&lt;BrowserFixture&gt;
/// {
///     [Fact]
///     public async Task Shows_the_login_form()
///     {
///         await using var context = await browser.NewContextAsync();   // own cookies; skips/fails without Chromium
///         var page = await context.NewPageAsync();
///         await page.GotoAsync($"http://docs.tribuo.cloud:{gatewayPort}/");
///         await page.ClickAsync("text=Sign in");
///         Assert.Contains("login.tribuo.cloud", page.Url);
///         var heading = await page.InnerTextAsync("h1");
///         await browser.ScreenshotAsync(page, "login-form");       // TestResults/screenshots/login-form.png
///     }
/// }
/// </code>
/// </example>
public sealed class BrowserFixture : IAsyncLifetime
{
    /// <summary>Environment variable naming the Chromium (or Chrome) binary to use instead of /usr/bin/chromium.</summary>
    public const string BinaryEnvironmentVariable = "TRIBUO_TEST_CHROMIUM";

    /// <summary>The default binary: Debian's <c>chromium</c> package.</summary>
    public const string DefaultBinary = "/usr/bin/chromium";

    /// <summary>Chromium's DNS override: every name resolves to 127.0.0.1, except localhost.</summary>
    public const string HostResolverRules = "MAP * 127.0.0.1, EXCLUDE localhost";

    /// <summary>Default timeout for actions and navigations in contexts made by <see cref="NewContextAsync"/>.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);

    private static readonly TimeSpan LaunchTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Arguments Chromium is started with (besides the ones Playwright adds itself, among them
    /// <c>--headless</c> and a fresh temporary <c>--user-data-dir</c> that it deletes on close).
    /// Without the background-networking flags Chromium keeps trying to reach Google's hosts, which this
    /// machine's closed network refuses.
    /// </summary>
    public static IReadOnlyList<string> LaunchArguments { get; } =
    [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--host-resolver-rules=" + HostResolverRules,
    ];

    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private string? _unavailableReason;

    /// <summary>The class's browser; skips/fails the current test when it could not be launched.</summary>
    public IBrowser Browser => RequireBrowser();

    /// <summary>The Playwright instance behind <see cref="Browser"/> (selectors, APIRequest, ...); skips/fails like <see cref="RequireBrowser"/>.</summary>
    public IPlaywright Playwright
    {
        get
        {
            RequireBrowser();
            return _playwright!;
        }
    }

    /// <summary>The Chromium binary that was (or would have been) launched; null when none was found.</summary>
    public string? ExecutablePath { get; private set; }

    /// <summary>Why the browser is unavailable, or null when it launched.</summary>
    public string? UnavailableReason => _unavailableReason;

    /// <summary>How long starting the Playwright driver took.</summary>
    public TimeSpan DriverStartTime { get; private set; }

    /// <summary>How long launching Chromium took (after the driver was up).</summary>
    public TimeSpan LaunchTime { get; private set; }

    /// <summary>Returns the browser, or skips (fails when CI=true) the calling test when it could not be launched.</summary>
    public IBrowser RequireBrowser()
    {
        if (_browser is null)
        {
            ServerRequirement.SkipOrFail(_unavailableReason ?? "the browser fixture was not initialized");
        }

        return _browser;
    }

    /// <summary>
    /// A new incognito-like context: its own cookies, storage and cache, nothing shared with other contexts.
    /// Dispose it at the end of the test (<c>await using</c>); closing the browser closes it anyway.
    /// Viewport 1280x800, locale en-US, timeouts <see cref="DefaultTimeout"/>.
    /// </summary>
    /// <param name="ignoreHttpsErrors">Accept self-signed and mismatched certificates (true by default).</param>
    public async Task<IBrowserContext> NewContextAsync(bool ignoreHttpsErrors = true, string locale = "en-US")
    {
        var browser = RequireBrowser();
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            IgnoreHTTPSErrors = ignoreHttpsErrors,
            ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
            Locale = locale,
            TimezoneId = "UTC",
        }).ConfigureAwait(false);
        context.SetDefaultTimeout((float)DefaultTimeout.TotalMilliseconds);
        context.SetDefaultNavigationTimeout((float)DefaultTimeout.TotalMilliseconds);
        return context;
    }

    /// <summary>
    /// Saves a full-page PNG of <paramref name="page"/> as <c>TestResults/screenshots/{name}.png</c> under the
    /// repository root (the folder holding Tribuo.Gateway.sln) and returns its full path. Characters other than
    /// letters, digits, '.', '-' and '_' in <paramref name="name"/> become '_'; an existing file is overwritten.
    /// </summary>
    public Task<string> ScreenshotAsync(IPage page, string name) => SaveScreenshotAsync(page, name);

    /// <summary>Same as <see cref="ScreenshotAsync"/>, for code that has no fixture at hand.</summary>
    public static async Task<string> SaveScreenshotAsync(IPage page, string name)
    {
        ArgumentNullException.ThrowIfNull(page);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var directory = ScreenshotDirectory();
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, SanitizeFileName(name) + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true, Type = ScreenshotType.Png }).ConfigureAwait(false);
        return path;
    }

    /// <summary><c>{repository root}/TestResults/screenshots</c> (TestResults/ is git-ignored).</summary>
    public static string ScreenshotDirectory() => Path.Combine(RepositoryRoot(), "TestResults", "screenshots");

    /// <summary>
    /// The folder holding Tribuo.Gateway.sln, found by walking up from the test assembly's directory (then from the
    /// current directory); the test assembly's directory when neither has it above.
    /// </summary>
    public static string RepositoryRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Tribuo.Gateway.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        return AppContext.BaseDirectory;
    }

    /// <summary>The Chromium binary to use (<c>TRIBUO_TEST_CHROMIUM</c>, else /usr/bin/chromium), or null when it does not exist.</summary>
    public static string? FindBinary()
    {
        var configured = Environment.GetEnvironmentVariable(BinaryEnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return File.Exists(configured) ? Path.GetFullPath(configured) : null;
        }

        return File.Exists(DefaultBinary) ? DefaultBinary : null;
    }

    public async ValueTask InitializeAsync()
    {
        var binary = FindBinary();
        if (binary is null)
        {
            var configured = Environment.GetEnvironmentVariable(BinaryEnvironmentVariable);
            _unavailableReason = string.IsNullOrWhiteSpace(configured)
                ? $"Chromium not found at {DefaultBinary}: apt-get install chromium, or set {BinaryEnvironmentVariable}"
                : $"{BinaryEnvironmentVariable}={configured} does not exist";
            return;
        }

        ExecutablePath = binary;
        var clock = Stopwatch.StartNew();
        try
        {
            _playwright = await Microsoft.Playwright.Playwright.CreateAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _unavailableReason = $"could not start the Playwright driver (is .playwright/ in {AppContext.BaseDirectory}?): {e.Message}";
            return;
        }

        DriverStartTime = clock.Elapsed;
        clock.Restart();
        try
        {
            _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = binary,
                Headless = true,
                Args = LaunchArguments,
                Timeout = (float)LaunchTimeout.TotalMilliseconds,
            }).ConfigureAwait(false);
            LaunchTime = clock.Elapsed;
        }
        catch (Exception e)
        {
            _unavailableReason = $"could not launch {binary} headless: {e.Message}";
            _playwright.Dispose();
            _playwright = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        var browser = _browser;
        _browser = null;
        if (browser is not null)
        {
            try
            {
                await browser.CloseAsync().ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Already gone (crashed, or the driver died): nothing left to close.
            }

            await browser.DisposeAsync().ConfigureAwait(false);
        }

        _playwright?.Dispose();
        _playwright = null;
    }

    private static string SanitizeFileName(string name)
    {
        var builder = new StringBuilder(name.Length);
        foreach (var c in name.Trim())
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_');
        }

        var sanitized = builder.ToString().Trim('.');
        return sanitized.Length == 0 ? "screenshot" : sanitized;
    }
}
