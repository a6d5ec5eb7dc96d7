using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Tribuo.Gateway.Keys;
using Tribuo.Gateway.Tests.Infrastructure;
using Xunit;

namespace Tribuo.Gateway.Tests.Keys;

/// <summary>The admin API refuses what a client got wrong with the right status and the field's name, never a 500.</summary>
public sealed class KeysApiInputTests : IAsyncLifetime
{
    private const string RootSecret = "tgw_test-api-input-root-000001";
    private const string AdminSecret = "tgw_test-api-input-admin-00001";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private GatewayApp _gateway = null!;

    public async ValueTask InitializeAsync() => _gateway = await StartAsync();

    public async ValueTask DisposeAsync() => await _gateway.DisposeAsync();

    private static async Task<GatewayApp> StartAsync(IDictionary<string, string?>? more = null)
    {
        var keysFile = Path.Combine(Directory.CreateTempSubdirectory("tgw-api-input-").FullName, "keys.json");
        await File.WriteAllTextAsync(keysFile, $$"""
            { "Keys": [
              { "Id": "root", "Name": "Root", "Secret": "{{RootSecret}}", "Scopes": ["*"] },
              { "Id": "admin", "Name": "Admin", "Secret": "{{AdminSecret}}", "Scopes": ["gateway:admin"] } ] }
            """, Ct);
        var settings = new Dictionary<string, string?>(more ?? new Dictionary<string, string?>()) { ["Gateway:KeysFile"] = keysFile };
        var gateway = GatewayApp.Start("""{ "Routes": {}, "Clusters": {} }""", settings);
        await gateway.KeysFileImportedAsync();
        return gateway;
    }

    private HttpClient Client(string secret = RootSecret)
    {
        var client = _gateway.NewClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "KEY " + secret);
        return client;
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
    }

    [Theory]
    [InlineData("{", "(body)")]
    [InlineData("[1]", "(body): must be a JSON object")]
    [InlineData("null", "(body): must be a JSON object")]
    [InlineData("""{ "id": "a", "name": "A", "scopes": "api" }""", "scopes: must be a list of strings.")]
    [InlineData("""{ "id": "a", "name": "A", "scopes": ["api", 5] }""", "scopes[1]: must be a string.")]
    [InlineData("""{ "id": 5, "name": "A", "scopes": ["api"] }""", "id: must be a string.")]
    [InlineData("""{ "id": "a", "name": "A", "scopes": [null] }""", "scopes[0]: must be a string, not null")]
    [InlineData("""{ "id": "a", "name": "line\nbreak", "scopes": ["api"] }""", "Name: must be at most 200 characters")]
    [InlineData("""{ "id": "a", "id": "b", "name": "A", "scopes": ["api"] }""", "id: is given twice")]
    [InlineData("""{ "id": "a", "Id": "b", "name": "A", "scopes": ["api"] }""", "is given twice")]
    [InlineData("""{ "id": "a", "name": "A", "scopes": ["api"], "origins": ["https://x.fr", null] }""", "origins[1]: must be a string, not null")]
    [InlineData("""{ "id": "a", "name": "A", "scopes": ["api"], "scopez": ["x"] }""", "scopez: is not a field")]
    // Browsers send an internationalized host in its xn-- form; a Unicode one was stored, then made Kestrel throw (a 500).
    [InlineData("""{ "id": "a", "name": "A", "scopes": ["api"], "origins": ["https://bücher.example"] }""", "Origins: 'https://bücher.example' is not an origin")]
    [InlineData("""{ "id": "a", "name": "A", "scopes": ["api"], "origins": ["https://b\u00fccher.example:8443"] }""", "ASCII form: https://xn--bcher-kva.example:8443")]
    [InlineData("""{ "id": "a", "name": "A", "scopes": ["api"], "expires": "next week" }""", "expires: is not a date-time; expected ISO 8601 like 2027-01-31T00:00:00Z.")]
    [InlineData("""{ "id": "a", "name": "A", "scopes": ["api"], "disabled": null }""", "disabled: must be true or false.")]
    public async Task A_bad_create_body_is_a_400_naming_the_field(string json, string expected)
    {
        using var response = await Client().PostAsync("/gateway/keys", new StringContent(json, Encoding.UTF8, "application/json"), Ct);

        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        AssertDetail(expected, problem);
    }

    /// <summary>
    /// An outside tester: the Native AOT binary said "expected a string" for a string that is not a date, and for
    /// "true" in quotes. The reader's message names the containing type there (and in several JIT cases), so the
    /// detail is built from the path and the field's declared type; the whole sentence is asserted, as both forms give it.
    /// </summary>
    [Theory]
    [InlineData("""{ "disabled": "yes" }""", "disabled: must be true or false.")]
    [InlineData("""{ "disabled": "true" }""", "disabled: must be true or false.")]
    [InlineData("""{ "disabled": 1 }""", "disabled: must be true or false.")]
    [InlineData("""{ "expires": "tomorrow" }""", "expires: is not a date-time; expected ISO 8601 like 2027-01-31T00:00:00Z.")]
    [InlineData("""{ "expires": "2030-02-30T00:00:00Z" }""", "expires: is not a date-time; expected ISO 8601 like 2027-01-31T00:00:00Z.")]
    [InlineData("""{ "Expires": "9999-12-31T23:59:59-14:00" }""", "Expires: is not a date-time; expected ISO 8601 like 2027-01-31T00:00:00Z.")]
    [InlineData("""{ "expires": 20300101 }""", "expires: is not a date-time; expected ISO 8601 like 2027-01-31T00:00:00Z.")]
    [InlineData("""{ "name": 5 }""", "name: must be a string.")]
    [InlineData("""{ "origins": {} }""", "origins: must be a list of strings.")]
    [InlineData("""{ "scopes": [null] }""", "scopes[0]: must be a string, not null")]
    [InlineData("""{ "userId": "u-1" }""", "userId: is not a field")]
    [InlineData("""{ "origins": ["https://bücher.example"] }""", "Origins: 'https://bücher.example' is not an origin")]
    public async Task A_bad_patch_body_is_a_400_naming_the_field(string json, string expected)
    {
        using var response = await Client().PatchAsync("/gateway/keys/admin", new StringContent(json, Encoding.UTF8, "application/json"), Ct);

        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        AssertDetail(expected, problem);
    }

    /// <summary>Invalid UTF-8 in a string was "has the wrong type; expected a string", of a value that is one.</summary>
    [Theory]
    [InlineData("POST", "/gateway/keys", "{ \"id\": \"a\", \"scopes\": [\"api\"], \"name\": \"", "\" }", "name: is not valid UTF-8")]
    [InlineData("PATCH", "/gateway/keys/admin", "{ \"name\": \"", "\" }", "name: is not valid UTF-8")]
    [InlineData("PATCH", "/gateway/keys/admin", "{ \"scopes\": [\"api\", \"", "\"] }", "scopes[1]: is not valid UTF-8")]
    [InlineData("PATCH", "/gateway/keys/admin", "{ \"", "\": \"x\" }", "(body): a field name is not valid UTF-8")]
    public async Task Invalid_UTF8_in_a_string_is_a_400_saying_so(string method, string path, string before, string after, string expected)
    {
        // 0xC3 0x28: a two-byte sequence whose second byte is not a continuation byte.
        byte[] body = [.. Encoding.UTF8.GetBytes(before), 0xC3, 0x28, .. Encoding.UTF8.GetBytes(after)];
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");

        using var response = await Client().SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = content }, Ct);

        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        AssertDetail(expected, problem);
    }

    /// <summary>The detail says what to send, in the body's own words: never a .NET type's name.</summary>
    private static void AssertDetail(string expected, JsonElement problem)
    {
        var detail = problem.GetProperty("detail").GetString();
        Assert.Contains(expected, detail);
        Assert.DoesNotContain("Tribuo.", detail);
        Assert.DoesNotContain("System.", detail);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("application/json; charset=utf-16")]
    [InlineData("application/json; charset=\"utf-16\"")]
    public async Task A_body_that_is_not_JSON_is_a_415(string? contentType)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes("""{ "id": "a", "name": "A", "scopes": ["api"] }"""));
        if (contentType is not null)
        {
            content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);
        }

        using var response = await Client().PostAsync("/gateway/keys", content, Ct);

        await ProblemAsync(response, HttpStatusCode.UnsupportedMediaType);
    }

    /// <summary>
    /// An outside tester: <c>charset="utf-8"</c> was a 415, the quotes compared with the name (RFC 9110 §5.6.6 makes a
    /// quoted parameter value the same value). A byte order mark before the JSON was a 400; RFC 8259 §8.1 lets a
    /// reader ignore one, and a stream reader of System.Text.Json does.
    /// </summary>
    [Theory]
    [InlineData("application/json; charset=\"utf-8\"", false)]
    [InlineData("application/json; charset=\"UTF-8\"", false)]
    [InlineData("application/json; charset=UTF-8", false)]
    [InlineData("application/json", true)]
    public async Task A_UTF8_body_is_read_whatever_the_spelling_of_its_charset_and_with_a_byte_order_mark(string contentType, bool byteOrderMark)
    {
        var id = $"utf8-{Guid.NewGuid():N}";
        byte[] json = Encoding.UTF8.GetBytes($$"""{ "id": "{{id}}", "name": "Été", "scopes": ["api"] }""");
        var content = new ByteArrayContent(byteOrderMark ? [0xEF, 0xBB, 0xBF, .. json] : json);
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);

        using var response = await Client().PostAsync("/gateway/keys", content, Ct);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("Été", (await _gateway.Services.GetRequiredService<IKeyStore>().GetAsync(id, Ct))!.Name);
    }

    [Fact]
    public async Task A_body_over_64_KB_is_a_413()
    {
        var json = $$"""{ "id": "a", "name": "{{new string('x', 70_000)}}", "scopes": ["api"] }""";
        using var response = await Client().PostAsync("/gateway/keys", new StringContent(json, Encoding.UTF8, "application/json"), Ct);

        await ProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
    }

    [Theory]
    [InlineData("PUT", "/gateway/keys")]
    [InlineData("DELETE", "/gateway/keys")]
    [InlineData("PUT", "/gateway/keys/admin")]
    [InlineData("GET", "/gateway/keys/admin/rotate")]
    public async Task A_wrong_method_is_a_405_with_Allow(string method, string path)
    {
        using var response = await Client().SendAsync(new HttpRequestMessage(new HttpMethod(method), path), Ct);

        await ProblemAsync(response, HttpStatusCode.MethodNotAllowed);
        Assert.NotEmpty(response.Content.Headers.Allow);
    }

    [Fact]
    public async Task Patch_with_a_null_expiry_clears_it_and_an_absent_one_leaves_it()
    {
        var client = Client();
        using var created = await client.PostAsJsonAsync("/gateway/keys", new { id = "expiring", name = "E", scopes = new[] { "api" }, expires = DateTimeOffset.UtcNow.AddDays(3) }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        using var renamed = await client.PatchAsync("/gateway/keys/expiring", JsonContent.Create(new { name = "Renamed" }), Ct);
        Assert.NotEqual(JsonValueKind.Null, (await renamed.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("expires").ValueKind);

        using var cleared = await client.PatchAsync("/gateway/keys/expiring", new StringContent("""{ "expires": null }""", Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.OK, cleared.StatusCode);
        Assert.Equal(JsonValueKind.Null, (await cleared.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("expires").ValueKind);
        Assert.Null((await _gateway.Services.GetRequiredService<IKeyStore>().GetAsync("expiring", Ct))!.Expires);
    }

    [Fact]
    public async Task Binding_a_key_to_a_user_needs_gateway_users_and_the_audit_event_names_the_user()
    {
        var body = new { id = "personal", name = "Personal", scopes = new[] { "api" }, userId = "u-42" };
        using var refused = await Client(AdminSecret).PostAsJsonAsync("/gateway/keys", body, Ct);
        await ProblemAsync(refused, HttpStatusCode.Forbidden);
        Assert.Null(await _gateway.Services.GetRequiredService<IKeyStore>().GetAsync("personal", Ct));

        using var allowed = await Client().PostAsJsonAsync("/gateway/keys", body, Ct);
        Assert.Equal(HttpStatusCode.Created, allowed.StatusCode);

        var deadline = DateTime.UtcNow.AddSeconds(10);
        string? detail = null;
        while (detail is null && DateTime.UtcNow < deadline)
        {
            await using var db = new SqliteConnection($"Data Source={Path.Combine(_gateway.Directory, "data", "gateway.db")}");
            detail = await db.QueryFirstOrDefaultAsync<string>("SELECT detail FROM audit_events WHERE kind = 'key.created' AND subject = 'personal'");
            await Task.Delay(100, Ct);
        }

        Assert.Contains("u-42", detail);
        Assert.Contains("key:root", detail);
        Assert.Contains(_gateway.Logs, l => l.Contains("audit: key personal created with scopes [api], user u-42, by key:root", StringComparison.Ordinal));
    }

    /// <summary>An outside review: a gateway:admin key minted '*' keys, and rotated a user's key to act as that user.</summary>
    [Fact]
    public async Task An_admin_key_cannot_hand_out_more_than_it_holds_nor_take_over_a_more_powerful_key()
    {
        var store = _gateway.Services.GetRequiredService<IKeyStore>();
        using var root = Client();
        using var admin = Client(AdminSecret);
        Assert.Equal(HttpStatusCode.Created, (await root.PostAsJsonAsync("/gateway/keys", new { id = "bound", name = "Bound", scopes = new[] { "api" }, userId = "u-7" }, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await root.PostAsJsonAsync("/gateway/keys", new { id = "star2", name = "Star", scopes = new[] { "*" } }, Ct)).StatusCode);

        // Giving out '*' or gateway:users, on creation or by an edit.
        foreach (var scopes in new[] { new[] { "*" }, new[] { "api", "gateway:users" } })
        {
            using var minted = await admin.PostAsJsonAsync("/gateway/keys", new { id = "minted", name = "Minted", scopes }, Ct);
            await ProblemAsync(minted, HttpStatusCode.Forbidden);
        }

        Assert.Null(await store.GetAsync("minted", Ct));
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/gateway/keys", new { id = "plain", name = "Plain", scopes = new[] { "api" } }, Ct)).StatusCode);
        using var widened = await admin.PatchAsJsonAsync("/gateway/keys/plain", new { scopes = new[] { "*" } }, Ct);
        await ProblemAsync(widened, HttpStatusCode.Forbidden);
        Assert.Equal(["api"], (await store.GetAsync("plain", Ct))!.Scopes);

        // Rotating or editing a key tied to a user, or holding '*': its new secret or scopes would be the admin's.
        foreach (var id in new[] { "bound", "star2" })
        {
            var before = (await store.GetAsync(id, Ct))!;
            using var rotated = await admin.PostAsync($"/gateway/keys/{id}/rotate", null, Ct);
            await ProblemAsync(rotated, HttpStatusCode.Forbidden);
            using var edited = await admin.PatchAsJsonAsync($"/gateway/keys/{id}", new { name = "Mine now" }, Ct);
            await ProblemAsync(edited, HttpStatusCode.Forbidden);
            var after = (await store.GetAsync(id, Ct))!;
            Assert.Equal((before.Sha256, before.Name, before.UserId), (after.Sha256, after.Name, after.UserId));
            Assert.Equal(before.Scopes, after.Scopes);
        }

        // What gateway:admin is for still works, and revoking needs no more than it.
        using var plainRotated = await admin.PostAsync("/gateway/keys/plain/rotate", null, Ct);
        Assert.Equal(HttpStatusCode.OK, plainRotated.StatusCode);
        using var revoked = await admin.DeleteAsync("/gateway/keys/bound", Ct);
        Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        using var unknown = await admin.PostAsync("/gateway/keys/no-such-key/rotate", null, Ct);
        await ProblemAsync(unknown, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task With_Redis_down_the_admin_API_answers_503_not_500()
    {
        await using var redis = await RedisServer.StartOrSkipAsync();
        await _gateway.DisposeAsync();
        _gateway = await StartAsync(new Dictionary<string, string?> { ["ConnectionStrings:Redis"] = redis.ConnectionString });
        var client = Client();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/gateway/keys", Ct)).StatusCode);

        await redis.StopAsync();

        await ProblemAsync(await client.GetAsync("/gateway/keys", Ct), HttpStatusCode.ServiceUnavailable);
        await ProblemAsync(await client.GetAsync("/gateway/keys/admin", Ct), HttpStatusCode.ServiceUnavailable);
        await ProblemAsync(await client.PostAsJsonAsync("/gateway/keys", new { id = "x", name = "X", scopes = new[] { "api" } }, Ct), HttpStatusCode.ServiceUnavailable);
        await ProblemAsync(await client.DeleteAsync("/gateway/keys/admin", Ct), HttpStatusCode.ServiceUnavailable);
    }

    /// <summary>
    /// An outside review: an edit, an enable or a disable of a revoked key was answered 200 with the key (and recorded as
    /// key.updated) though the key stayed revoked; only the console refused it. Now every way in answers 409.
    /// </summary>
    [Fact]
    public async Task A_revoked_key_cannot_be_edited_enabled_or_rotated_and_the_answer_is_409()
    {
        var store = _gateway.Services.GetRequiredService<IKeyStore>();
        using var root = Client();
        Assert.Equal(HttpStatusCode.Created, (await root.PostAsJsonAsync("/gateway/keys", new { id = "gone", name = "Gone", scopes = new[] { "api" }, disabled = true }, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await root.DeleteAsync("/gateway/keys/gone", Ct)).StatusCode);

        foreach (var change in new object[] { new { name = "Renamed" }, new { disabled = false }, new { scopes = new[] { "api", "more" } } })
        {
            using var edited = await root.PatchAsJsonAsync("/gateway/keys/gone", change, Ct);
            var problem = await ProblemAsync(edited, HttpStatusCode.Conflict);
            Assert.Contains("key 'gone' is revoked", problem.GetProperty("detail").GetString());
        }

        using var rotated = await root.PostAsync("/gateway/keys/gone/rotate", null, Ct);
        await ProblemAsync(rotated, HttpStatusCode.Conflict);
        Assert.DoesNotContain("secret", await rotated.Content.ReadAsStringAsync(Ct), StringComparison.OrdinalIgnoreCase);

        var kept = (await store.GetAsync("gone", Ct))!;
        Assert.Equal(("Gone", true, "api"), (kept.Name, kept.Disabled, string.Join(' ', kept.Scopes)));
        Assert.NotNull(kept.RevokedAt);
        Assert.DoesNotContain(_gateway.Logs, l => l.Contains("audit: key gone (user -) updated", StringComparison.Ordinal));
    }

    private async Task<List<string>> AuditDetailsAsync(string kind, string subject, int atLeast, int seconds = 10)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            await using var db = new SqliteConnection($"Data Source={Path.Combine(_gateway.Directory, "data", "gateway.db")}");
            var details = (await db.QueryAsync<string>("SELECT detail FROM audit_events WHERE kind = @kind AND subject = @subject ORDER BY id", new { kind, subject })).ToList();
            if (details.Count >= atLeast || DateTime.UtcNow > deadline)
            {
                return details;
            }

            await Task.Delay(100, Ct);
        }
    }

    /// <summary>
    /// An outside probe: an admin key created <c>user-&lt;a Zoho user's public id&gt;</c>; the user then got no API token,
    /// and a role change gave the squatting key the role's scopes. The login hub alone creates these ids.
    /// </summary>
    [Theory]
    [InlineData("user-20078284501")]
    [InlineData("USER-42")]
    public async Task An_id_of_a_users_API_token_cannot_be_taken_by_an_admin(string id)
    {
        using var refused = await Client().PostAsJsonAsync("/gateway/keys", new { id, name = "Innocent", scopes = new[] { "docs:read" } }, Ct);
        var problem = await ProblemAsync(refused, HttpStatusCode.BadRequest);
        Assert.Contains("only the login hub creates", problem.GetProperty("detail").GetString());
        Assert.Null(await _gateway.Services.GetRequiredService<IKeyStore>().GetAsync(id, Ct));
    }

    /// <summary>An outside probe: the answers carrying a secret had no Cache-Control.</summary>
    [Fact]
    public async Task The_answers_that_carry_a_secret_are_not_stored()
    {
        using var created = await Client().PostAsJsonAsync("/gateway/keys", new { id = "cached", name = "Cached", scopes = new[] { "api" } }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("no-store", created.Headers.CacheControl?.ToString());

        using var rotated = await Client().PostAsync("/gateway/keys/cached/rotate", null, Ct);
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        Assert.Equal("no-store", rotated.Headers.CacheControl?.ToString());
    }

    /// <summary>
    /// An outside probe: a second revocation wrote a second key.revoked event (naming another actor), and an edit of
    /// origins, expiry or limits was recorded as "scopes ...; disabled ..." only.
    /// </summary>
    [Fact]
    public async Task The_audit_trail_names_what_an_edit_changed_and_a_second_revocation_records_nothing()
    {
        using var root = Client();
        Assert.Equal(HttpStatusCode.Created, (await root.PostAsJsonAsync("/gateway/keys", new { id = "site", name = "Site", scopes = new[] { "api" }, origins = new[] { "https://docs.example" } }, Ct)).StatusCode);
        using var edited = await root.PatchAsJsonAsync("/gateway/keys/site", new { origins = Array.Empty<string>(), rateLimits = new[] { "10/1s" } }, Ct);
        Assert.Equal(HttpStatusCode.OK, edited.StatusCode);
        var updated = Assert.Single(await AuditDetailsAsync("key.updated", "site", 1));
        Assert.Contains("changed origins []", updated);
        Assert.Contains("rate limits [10/1s]", updated);

        Assert.Equal(HttpStatusCode.NoContent, (await root.DeleteAsync("/gateway/keys/site", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await Client(AdminSecret).DeleteAsync("/gateway/keys/site", Ct)).StatusCode);
        Assert.Single(await AuditDetailsAsync("key.revoked", "site", 1));
        var revoked = Assert.Single(await AuditDetailsAsync("key.revoked", "site", 2, seconds: 3)); // the second would have come with the first
        Assert.Contains("key:root", revoked);
    }

    [Fact]
    public async Task A_name_with_bidirectional_controls_is_refused()
    {
        using var refused = await Client().PostAsJsonAsync("/gateway/keys", new { id = "rtl", name = "invoice\u202Efdp.exe", scopes = new[] { "api" } }, Ct);
        var problem = await ProblemAsync(refused, HttpStatusCode.BadRequest);
        Assert.Contains("bidirectional", problem.GetProperty("detail").GetString());
    }

    /// <summary>An outside probe: a '*' key tied to a deleted user was refused on routes but still ran the admin API.</summary>
    [Fact]
    public async Task A_key_whose_user_no_longer_exists_is_refused_by_the_admin_API_too()
    {
        using var created = await Client().PostAsJsonAsync("/gateway/keys", new { id = "orphan", name = "Orphan", scopes = new[] { "*" }, userId = "gone-user" }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var secret = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("secret").GetString()!;

        using var listed = await Client(secret).GetAsync("/gateway/keys", Ct);
        var problem = await ProblemAsync(listed, HttpStatusCode.Forbidden);
        Assert.Contains("no longer exists", problem.GetProperty("detail").GetString());
        using var metrics = await Client(secret).GetAsync("/metrics", Ct);
        Assert.Equal(HttpStatusCode.Forbidden, metrics.StatusCode);
    }
}
