using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Tribuo.Gateway.Keys;
using Tribuo.Gateway.Tests.Infrastructure;
using Tribuo.Gateway.Tokens;
using Tribuo.Gateway.Users;
using Xunit;

namespace Tribuo.Gateway.Tests.OperatorsConsole;

/// <summary>
/// The console over plain HTTP with a session the gateway issued (no provider, no browser): the door (no session,
/// headers), a route edit refused by validation, and saving turned off (the default): the new file is a download and
/// <c>routes.json</c> is never written.
/// </summary>
public sealed partial class ConsoleHttpTests : IAsyncLifetime
{
    private GatewayApp _gateway = null!;
    private string _routes = "";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [GeneratedRegex("name=\"csrf\" value=\"([^\"]+)\"")]
    private static partial Regex CsrfField();

    [GeneratedRegex("name=\"base\" value=\"([0-9a-f]{64})\"")]
    private static partial Regex BaseField();

    [GeneratedRegex("href=\"(/gateway/console/keys\\?[^\"]*after=[^\"]+)\"")]
    private static partial Regex NextPageLink();

    [GeneratedRegex("class=\"mono\" href=\"/gateway/console/keys/([^\"?]+)\"")]
    private static partial Regex KeyLink();

    public ValueTask InitializeAsync()
    {
        _routes = RoutesJson.With("http://127.0.0.1:5001/",
            RoutesJson.Route("api", "/api/{**rest}", "key", "\"Scopes\": \"api\""),
            RoutesJson.Route("status", "/status", "public"));
        _gateway = GatewayApp.Start(_routes);
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => _gateway.DisposeAsync();

    private Task<HttpClient> SignedInAsync(string role) => SignedInAsync(_gateway, role);

    /// <summary>A cookie-keeping client signed in to <paramref name="gateway"/> as a new user with <paramref name="role"/>.</summary>
    internal static async Task<HttpClient> SignedInAsync(GatewayApp gateway, string role)
    {
        var users = gateway.Services.GetRequiredService<IUserStore>();
        var email = $"{role}@acme.fr";
        var user = await users.CreateAsync(new ExternalLogin { Provider = "test", Subject = email, Email = email }, $"{Math.Abs(email.GetHashCode())}", role, Ct);
        var cookies = new CookieContainer();
        cookies.Add(gateway.BaseAddress, new Cookie("tribuo_cloud_token", gateway.Services.GetRequiredService<TokenService>().Issue(user!)));
        return new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = true, CookieContainer = cookies }) { BaseAddress = gateway.BaseAddress };
    }

    private static async Task<string> PageAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync(Ct);
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient client, string path, string page, params (string Name, string Value)[] fields) =>
        client.PostAsync(path, new FormUrlEncodedContent(fields.Select(f => KeyValuePair.Create(f.Name, f.Value))
            .Append(KeyValuePair.Create("csrf", CsrfField().Match(page).Groups[1].Value))), Ct);

    [Fact]
    public async Task Without_a_session_a_page_load_goes_to_the_login_page_and_anything_else_is_refused()
    {
        using var client = _gateway.NewClient();
        using var navigation = new HttpRequestMessage(HttpMethod.Get, "/gateway/console/keys");
        navigation.Headers.Accept.ParseAdd("text/html");
        using var redirected = await client.SendAsync(navigation, Ct);
        Assert.Equal(HttpStatusCode.Found, redirected.StatusCode);
        Assert.StartsWith($"{_gateway.BaseAddress.ToString().TrimEnd('/')}/login?origin=", redirected.Headers.Location!.ToString());
        Assert.Contains(Uri.EscapeDataString("/gateway/console/keys"), redirected.Headers.Location.ToString());

        using var script = await client.GetAsync("/gateway/console/keys", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, script.StatusCode);
        using var post = await client.PostAsync("/gateway/console/keys", new FormUrlEncodedContent([KeyValuePair.Create("id", "x")]), Ct);
        Assert.Equal(HttpStatusCode.Forbidden, post.StatusCode);
    }

    /// <summary>
    /// An outside probe: the console answered on a proxied site's host, where the site's own scripts share the admin's
    /// session cookie and origin, and a same-origin post from a docs page minted a '*' key.
    /// </summary>
    [Fact]
    public async Task The_console_answers_only_on_the_hubs_host()
    {
        await using var gateway = GatewayApp.Start(_routes, new Dictionary<string, string?> { ["Gateway:PublicUrl"] = "http://hub.example" });
        using var admin = await SignedInAsync(gateway, "admin");

        using var navigation = new HttpRequestMessage(HttpMethod.Get, "/gateway/console/keys?q=x");
        navigation.Headers.Accept.ParseAdd("text/html");
        using var redirected = await admin.SendAsync(navigation, Ct);
        Assert.Equal(HttpStatusCode.Found, redirected.StatusCode);
        Assert.Equal("http://hub.example/gateway/console/keys?q=x", redirected.Headers.Location!.ToString());

        using var script = await admin.GetAsync("/gateway/console/keys/new", Ct);
        Assert.Equal(HttpStatusCode.NotFound, script.StatusCode);
        Assert.DoesNotContain("csrf", await script.Content.ReadAsStringAsync(Ct));
        using var post = await admin.PostAsync("/gateway/console/keys", new FormUrlEncodedContent([KeyValuePair.Create("id", "pwned")]), Ct);
        Assert.Equal(HttpStatusCode.NotFound, post.StatusCode);
    }

    /// <summary>
    /// An outside probe: a demoted admin kept the console for 30 s (the request path's user cache), long enough to restore
    /// their own role and demote the admin who demoted them. The console reads the role from the store.
    /// </summary>
    [Fact]
    public async Task A_demoted_admin_loses_the_console_at_once()
    {
        using var admin = await SignedInAsync("admin");
        Assert.Contains("<h1>", await PageAsync(admin, "/gateway/console/keys"));

        var users = _gateway.Services.GetRequiredService<IUserStore>();
        Assert.True(await users.SetRoleAsync("admin@acme.fr", "default", Ct));

        using var after = await admin.GetAsync("/gateway/console/keys", Ct);
        Assert.Equal(HttpStatusCode.Forbidden, after.StatusCode);
    }

    /// <summary>An outside review: behind a TLS balancer the session cookie was Secure and the antiforgery cookie was not.</summary>
    [Fact]
    public async Task Behind_a_trusted_TLS_balancer_the_antiforgery_cookie_is_Secure()
    {
        await using var gateway = GatewayApp.Start(_routes, new Dictionary<string, string?> { ["Gateway:TrustedProxies:0"] = "127.0.0.0/8" });
        using var admin = await SignedInAsync(gateway, "admin");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/gateway/console/keys/new");
        request.Headers.TryAddWithoutValidation("X-Forwarded-Proto", "https");

        using var response = await admin.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var csrf = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("tribuo_console_csrf=", StringComparison.Ordinal));
        Assert.Contains("; secure", csrf, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Pages_forbid_framing_scripts_from_elsewhere_and_caching()
    {
        using var admin = await SignedInAsync("admin");
        using var response = await admin.GetAsync("/gateway/console/routes", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var csp = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("default-src 'none'", csp);
        Assert.Contains("form-action 'self'", csp);
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.DoesNotContain("unsafe-inline", csp);
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
    }

    [Fact]
    public async Task An_edit_that_fails_validation_shows_the_errors_and_offers_no_save()
    {
        using var admin = await SignedInAsync("admin");
        var page = await PageAsync(admin, "/gateway/console/routes/api");
        using var preview = await PostAsync(admin, "/gateway/console/routes/api/preview", page, ("scopes", "api"), ("rateLimit", "10/1y"));
        var html = await preview.Content.ReadAsStringAsync(Ct);

        Assert.Equal(HttpStatusCode.BadRequest, preview.StatusCode);
        Assert.Contains("would be refused", html);
        Assert.Contains("Metadata.RateLimit", html);
        Assert.DoesNotContain("value=\"save\"", html);
        Assert.DoesNotContain("value=\"download\"", html);
    }

    [Fact]
    public async Task With_saving_off_the_new_file_is_a_download_and_routes_json_is_never_written()
    {
        using var admin = await SignedInAsync("admin");
        var page = await PageAsync(admin, "/gateway/console/routes/api");
        using var preview = await PostAsync(admin, "/gateway/console/routes/api/preview", page, ("scopes", "api billing"));
        var html = await preview.Content.ReadAsStringAsync(Ct);
        Assert.Equal(HttpStatusCode.OK, preview.StatusCode);
        Assert.Contains("Saving from the console is off", html);
        Assert.DoesNotContain("value=\"save\"", html);
        var baseHash = BaseField().Match(html).Groups[1].Value;

        using var download = await PostAsync(admin, "/gateway/console/routes/api/save", html, ("scopes", "api billing"), ("base", baseHash), ("do", "download"));
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal("application/json", download.Content.Headers.ContentType?.MediaType);
        Assert.Equal("routes.json", download.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        Assert.Contains("\"Scopes\": \"api billing\"", await download.Content.ReadAsStringAsync(Ct));

        using var save = await PostAsync(admin, "/gateway/console/routes/api/save", html, ("scopes", "api billing"), ("base", baseHash), ("do", "save"));
        Assert.Equal(HttpStatusCode.Forbidden, save.StatusCode);
        Assert.Equal(_routes, await File.ReadAllTextAsync(_gateway.RoutesFile, Ct));
    }

    /// <summary>
    /// An outside tester: with routes.json on disk unreadable (cut short, a route id twice, deleted; the gateway keeps
    /// serving its previous configuration) a preview or a save was a 500 with a stack trace in the log.
    /// </summary>
    [Theory]
    [InlineData("truncated")]
    [InlineData("duplicate")]
    [InlineData("deleted")]
    public async Task A_routes_file_that_cannot_be_read_is_a_console_page_naming_it_and_nothing_is_written(string damage)
    {
        await using var gateway = GatewayApp.Start(_routes, new Dictionary<string, string?> { ["Gateway:Console:EditRoutes"] = "true" });
        using var admin = await SignedInAsync(gateway, "admin");
        var page = await PageAsync(admin, "/gateway/console/routes/api");
        using var preview = await PostAsync(admin, "/gateway/console/routes/api/preview", page, ("scopes", "api billing"));
        var previewHtml = await preview.Content.ReadAsStringAsync(Ct);
        Assert.Equal(HttpStatusCode.OK, preview.StatusCode);
        var baseHash = BaseField().Match(previewHtml).Groups[1].Value;

        var damaged = damage switch
        {
            "truncated" => _routes[..(_routes.Length / 2)],
            "duplicate" => _routes.Replace("\"status\":", "\"api\":", StringComparison.Ordinal),
            _ => null,
        };
        if (damaged is null)
        {
            File.Delete(gateway.RoutesFile);
        }
        else
        {
            await File.WriteAllTextAsync(gateway.RoutesFile, damaged, Ct);
        }

        using var again = await PostAsync(admin, "/gateway/console/routes/api/preview", page, ("scopes", "api billing"));
        using var save = await PostAsync(admin, "/gateway/console/routes/api/save", previewHtml, ("scopes", "api billing"), ("base", baseHash), ("do", "save"));
        foreach (var response in new[] { again, save })
        {
            var html = await response.Content.ReadAsStringAsync(Ct);
            Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
            Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains(WebUtility.HtmlEncode(gateway.RoutesFile), html);
            Assert.Contains("cannot be read", html);
            Assert.DoesNotContain("   at ", html);
        }

        Assert.Equal(damaged, File.Exists(gateway.RoutesFile) ? await File.ReadAllTextAsync(gateway.RoutesFile, Ct) : null);
        Assert.DoesNotContain(gateway.Logs, l => l.Contains("ExceptionHandlerMiddleware", StringComparison.Ordinal));
    }

    /// <summary>
    /// An outside tester: a form too big, of another content type, chunked or of thousands of fields was refused with
    /// the antiforgery sentence ("not sent from the console"), which sends the operator after the wrong cause.
    /// </summary>
    [Fact]
    public async Task A_form_too_big_of_another_type_or_of_too_many_fields_is_refused_for_that_and_a_chunked_form_is_read()
    {
        using var admin = await SignedInAsync("admin");
        var page = await PageAsync(admin, "/gateway/console/keys/new");
        var csrf = CsrfField().Match(page).Groups[1].Value;

        async Task<(HttpStatusCode Status, string Html)> SendAsync(HttpContent content, bool chunked = false)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/gateway/console/keys") { Content = content };
            request.Headers.TransferEncodingChunked = chunked;
            using var response = await admin.SendAsync(request, Ct);
            return (response.StatusCode, await response.Content.ReadAsStringAsync(Ct));
        }

        FormUrlEncodedContent Form(string id, string name, int extraFields = 0) => new(
            new[] { KeyValuePair.Create("id", id), KeyValuePair.Create("name", name), KeyValuePair.Create("scopes", "api"), KeyValuePair.Create("csrf", csrf) }
                .Concat(Enumerable.Range(0, extraFields).Select(i => KeyValuePair.Create($"f{i}", "1"))));

        var tooBig = await SendAsync(Form("big", new string('a', 70 * 1024)));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooBig.Status);
        Assert.Contains("64 KB", tooBig.Html);

        var tooBigChunked = await SendAsync(Form("big", new string('a', 70 * 1024)), chunked: true);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooBigChunked.Status);

        var json = await SendAsync(new StringContent($$"""{"id":"j","name":"J","scopes":"api","csrf":"{{csrf}}"}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, json.Status);
        Assert.Contains("application/x-www-form-urlencoded", json.Html);

        var manyFields = await SendAsync(Form("many", "Many", extraFields: 5000));
        Assert.Equal(HttpStatusCode.BadRequest, manyFields.Status);
        Assert.Contains("too many fields", manyFields.Html);

        foreach (var refused in new[] { tooBig, tooBigChunked, json, manyFields })
        {
            Assert.DoesNotContain("not sent from the console", refused.Html);
        }

        var chunked = await SendAsync(Form("chunked", "Chunked"), chunked: true);
        Assert.Equal(HttpStatusCode.Created, chunked.Status);

        // The antiforgery sentence stays for a form whose token is wrong, and the lock is as strict as before.
        var forged = await SendAsync(new FormUrlEncodedContent([KeyValuePair.Create("id", "forged"), KeyValuePair.Create("name", "F"), KeyValuePair.Create("scopes", "api"), KeyValuePair.Create("csrf", "x" + csrf)]));
        Assert.Equal(HttpStatusCode.BadRequest, forged.Status);
        Assert.Contains("not sent from the console", forged.Html);
        var keys = _gateway.Services.GetRequiredService<KeyService>();
        Assert.NotNull(await keys.GetAsync("chunked", Ct));
        foreach (var id in new[] { "big", "j", "many", "forged" })
        {
            Assert.Null(await keys.GetAsync(id, Ct));
        }
    }

    /// <summary>What an operator does on route <c>api</c>: its page, a preview of <paramref name="scopes"/>, then Save.</summary>
    private static async Task<HttpResponseMessage> PreviewAndSaveAsync(HttpClient admin, string scopes)
    {
        var page = await PageAsync(admin, "/gateway/console/routes/api");
        using var preview = await PostAsync(admin, "/gateway/console/routes/api/preview", page, ("scopes", scopes));
        var html = await preview.Content.ReadAsStringAsync(Ct);
        return await PostAsync(admin, "/gateway/console/routes/api/save", html, ("scopes", scopes), ("base", BaseField().Match(html).Groups[1].Value), ("do", "save"));
    }

    /// <summary>An outside tester: a saved route edit wrote its audit_events row but, unlike key and role changes, no <c>audit:</c> log line.</summary>
    [Fact]
    public async Task A_saved_route_edit_is_an_audit_log_line_naming_the_person_and_the_change()
    {
        await using var gateway = GatewayApp.Start(_routes, new Dictionary<string, string?> { ["Gateway:Console:EditRoutes"] = "true" });
        using var admin = await SignedInAsync(gateway, "admin");
        using var save = await PreviewAndSaveAsync(admin, "api billing");

        Assert.Equal(HttpStatusCode.Found, save.StatusCode);
        Assert.Contains(gateway.Logs, l => l.Contains("audit: route api edited by admin@acme.fr (user ", StringComparison.Ordinal) && l.Contains("Scopes 'api' → 'api billing'", StringComparison.Ordinal));
    }

    /// <summary>
    /// An outside tester: a save replaced a symbolic link (a ConfigMap's <c>routes.json -&gt; ..data/routes.json</c>, a
    /// file kept in a deployment folder) by a regular file, detaching the gateway from the linked file, and turned 0640 into 0644.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_save_writes_through_a_symbolic_link_to_its_target_and_keeps_the_files_mode(bool linked)
    {
        if (OperatingSystem.IsWindows())
        {
            return; // Unix file modes and links
        }

        await using var gateway = GatewayApp.Start(_routes, new Dictionary<string, string?> { ["Gateway:Console:EditRoutes"] = "true" });
        var target = gateway.RoutesFile;
        if (linked)
        {
            target = Path.Combine(gateway.Directory, "deployed", "routes.json");
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            await File.WriteAllTextAsync(target, _routes, Ct);
            File.Delete(gateway.RoutesFile);
            File.CreateSymbolicLink(gateway.RoutesFile, Path.Combine("deployed", "routes.json"));
        }

        const UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;
        File.SetUnixFileMode(target, mode);
        using var admin = await SignedInAsync(gateway, "admin");
        using var save = await PreviewAndSaveAsync(admin, "api billing");

        Assert.Equal(HttpStatusCode.Found, save.StatusCode);
        Assert.EndsWith("done=saved", save.Headers.Location?.ToString());
        Assert.Equal(linked, new FileInfo(gateway.RoutesFile).LinkTarget is not null);
        Assert.Contains("\"Scopes\": \"api billing\"", await File.ReadAllTextAsync(target, Ct));
        Assert.Equal(mode, File.GetUnixFileMode(target));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(target)!, "*.tmp"));
    }

    /// <summary>An outside tester: enable, disable or an edit of a revoked key answered "done" and wrote key.updated events (the key stayed revoked).</summary>
    [Fact]
    public async Task Enabling_disabling_or_editing_a_revoked_key_is_a_409_and_records_nothing()
    {
        var keys = _gateway.Services.GetRequiredService<KeyService>();
        await keys.CreateAsync(new KeySpec { Id = "gone", Name = "Gone", Scopes = ["api"] }, "test", Ct);
        await keys.RevokeAsync("gone", "test", Ct);
        using var admin = await SignedInAsync("admin");
        // A revoked key's page offers none of these: the posts come from a page opened before the revocation (any console page's token does).
        var page = await PageAsync(admin, "/gateway/console/keys/new");

        foreach (var (path, fields) in new[]
        {
            ("/gateway/console/keys/gone/enable", Array.Empty<(string, string)>()),
            ("/gateway/console/keys/gone/disable", []),
            ("/gateway/console/keys/gone", [("name", "Gone"), ("scopes", "api admin")]),
        })
        {
            using var refused = await PostAsync(admin, path, page, fields);
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
            Assert.Contains("is revoked", await refused.Content.ReadAsStringAsync(Ct));
        }

        var key = (await keys.GetAsync("gone", Ct))!;
        Assert.Equal(["api"], key.Scopes);
        Assert.False(key.Disabled);
        var audit = _gateway.Services.GetRequiredService<Tribuo.Gateway.Operations.AuditLog>();
        await Task.Delay(500, Ct); // the audit writer's batch
        Assert.DoesNotContain((await audit.ListAsync(new(Key: "gone"), Ct)).Entries, e => e.Kind == "key.updated");
    }

    [Fact]
    public async Task The_key_list_pages_through_every_key_and_filters_by_scope_name_and_status()
    {
        var keys = _gateway.Services.GetRequiredService<KeyService>();
        for (var i = 0; i < 60; i++)
        {
            await keys.CreateAsync(new KeySpec { Id = $"k{i:00}", Name = i % 2 == 0 ? $"Even {i}" : $"Odd {i}", Scopes = [i < 55 ? "api" : "docs:read"] }, "test", Ct);
        }

        await keys.RevokeAsync("k07", "test", Ct);
        using var admin = await SignedInAsync("admin");

        async Task<List<string>> ListAllAsync(string path)
        {
            var ids = new List<string>();
            for (string? next = path; next is not null;)
            {
                var html = await PageAsync(admin, WebUtility.HtmlDecode(next));
                ids.AddRange(KeyLink().Matches(html).Select(m => Uri.UnescapeDataString(m.Groups[1].Value)));
                next = NextPageLink().Match(html) is { Success: true } link ? link.Groups[1].Value : null;
            }

            return ids;
        }

        var all = await ListAllAsync("/gateway/console/keys");
        Assert.Equal(Enumerable.Range(0, 60).Select(i => $"k{i:00}"), all);
        Assert.Equal(["k55", "k56", "k57", "k58", "k59"], await ListAllAsync("/gateway/console/keys?field=scope&q=docs:read"));
        Assert.Equal(["k07"], await ListAllAsync("/gateway/console/keys?status=revoked"));
        Assert.Equal(Enumerable.Range(0, 60).Where(i => i % 2 == 1 && i != 7).Select(i => $"k{i:00}"),
            await ListAllAsync("/gateway/console/keys?field=name&q=odd&status=active"));

        // A cursor that is not one the console handed out starts from the first page (an outside review: a 500).
        foreach (var cursor in (string[])["zzz", "a", "%%%"])
        {
            Assert.Equal(all.Take(25), (await ListAllAsync("/gateway/console/keys?after=" + cursor)).Take(25));
        }
    }

    /// <summary>An outside review: a post from another site went through whenever its antiforgery token was valid.</summary>
    [Theory]
    [InlineData("Origin", "https://evil.example")]
    [InlineData("Origin", "null")]
    [InlineData("Sec-Fetch-Site", "cross-site")]
    [InlineData("Sec-Fetch-Site", "same-site")]
    public async Task A_form_posted_from_another_site_is_refused_even_with_a_valid_token(string header, string value)
    {
        var keys = _gateway.Services.GetRequiredService<KeyService>();
        await keys.CreateAsync(new KeySpec { Id = "csrf-target", Name = "Target", Scopes = ["api"] }, "test", Ct);
        using var admin = await SignedInAsync("admin");
        var page = await PageAsync(admin, "/gateway/console/keys/csrf-target");

        using var request = new HttpRequestMessage(HttpMethod.Post, "/gateway/console/keys/csrf-target/disable")
        {
            Content = new FormUrlEncodedContent([KeyValuePair.Create("csrf", CsrfField().Match(page).Groups[1].Value)]),
        };
        request.Headers.TryAddWithoutValidation(header, value);
        using var refused = await admin.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.False((await keys.GetAsync("csrf-target", Ct))!.Disabled);
        using var sameOrigin = await PostAsync(admin, "/gateway/console/keys/csrf-target/disable", page);
        Assert.Equal(HttpStatusCode.Found, sameOrigin.StatusCode);
        Assert.True((await keys.GetAsync("csrf-target", Ct))!.Disabled);
    }

    [Fact]
    public async Task A_key_is_edited_disabled_and_enabled_through_the_key_service_with_the_person_as_actor()
    {
        var keys = _gateway.Services.GetRequiredService<KeyService>();
        var expires = DateTimeOffset.UtcNow.AddDays(10).Date.AddHours(13).AddMinutes(37);
        await keys.CreateAsync(new KeySpec { Id = "site", Name = "Site", Scopes = ["docs:read"], Expires = new DateTimeOffset(expires, TimeSpan.Zero) }, "test", Ct);
        using var admin = await SignedInAsync("admin");
        var page = await PageAsync(admin, "/gateway/console/keys/site");
        var shownExpiry = expires.ToString("yyyy-MM-dd");
        Assert.Contains($"value=\"{shownExpiry}\"", page);

        using var edited = await PostAsync(admin, "/gateway/console/keys/site", page, ("name", "Docs site"), ("scopes", "docs:read, api"),
            ("origins", "https://docs.tribuo.cloud"), ("expires", shownExpiry), ("expiresWas", shownExpiry), ("rateLimits", "100/1s 10000/1d"));
        Assert.Equal(HttpStatusCode.Found, edited.StatusCode);
        var key = (await keys.GetAsync("site", Ct))!;
        Assert.Equal("Docs site", key.Name);
        Assert.Equal(["docs:read", "api"], key.Scopes);
        Assert.Equal(["https://docs.tribuo.cloud"], key.Origins);
        Assert.Equal(["100/1s", "10000/1d"], key.RateLimits.Select(l => l.Text));
        Assert.Equal(new DateTimeOffset(expires, TimeSpan.Zero), key.Expires); // the day was not touched: the exact time stays

        using var refused = await PostAsync(admin, "/gateway/console/keys/site", page, ("name", "Docs site"), ("scopes", ""), ("expires", shownExpiry), ("expiresWas", shownExpiry));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("Scopes: list at least one scope", await refused.Content.ReadAsStringAsync(Ct));

        using var disabled = await PostAsync(admin, "/gateway/console/keys/site/disable", page);
        Assert.True((await keys.GetAsync("site", Ct))!.Disabled);
        using var enabled = await PostAsync(admin, "/gateway/console/keys/site/enable", page);
        Assert.False((await keys.GetAsync("site", Ct))!.Disabled);

        var audit = _gateway.Services.GetRequiredService<Tribuo.Gateway.Operations.AuditLog>();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        Tribuo.Gateway.Operations.AuditPage events;
        while ((events = await audit.ListAsync(new(Actor: "admin@acme.fr", Key: "site"), Ct)).Entries.Count < 3 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100, Ct);
        }

        Assert.Equal(3, events.Entries.Count);
        Assert.All(events.Entries, e => Assert.Equal("key.updated", e.Kind));
    }
}
