using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Tribuo.Gateway.Login;
using Tribuo.Gateway.Tests.Infrastructure;
using Tribuo.Gateway.Users;
using Xunit;

namespace Tribuo.Gateway.Tests.Login;

/// <summary>
/// Item 7 of issue 8: the legacy password form, tried as an attacker would. Parallel guesses do not pass the
/// lockout, the attempt table stays bounded, fields and form are capped, cross-site posts are refused, and
/// older hash parameters are brought to today's cost after a good login.
/// </summary>
public sealed class PasswordLoginTests : IAsyncLifetime
{
    private GatewayApp _gateway = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        _gateway = GatewayApp.Start("""{ "Routes": {}, "Clusters": {} }""", new Dictionary<string, string?>
        {
            ["Gateway:Login:AllowedOrigins:0"] = "https://docs.tribuo.cloud",
            ["Gateway:Login:PasswordFailureLimit"] = "5",
            ["Gateway:Login:LegacyPasswords"] = "true",
        });
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _gateway.DisposeAsync();

    private async Task<User> LegacyUserAsync(string email, int iterations)
    {
        var store = _gateway.Services.GetRequiredService<IUserStore>();
        var user = (await store.CreateAsync(new ExternalLogin { Provider = "test", Subject = email, Email = email }, Guid.NewGuid().ToString("n"), null, Ct))!;
        await store.SetLegacyPasswordHashAsync(user.Id, LegacyPasswordHash.Create("correct horse", "s4lt", iterations), Ct);
        return user;
    }

    private static FormUrlEncodedContent Form(string email, string password) => new(new Dictionary<string, string>
    {
        ["origin"] = "https://docs.tribuo.cloud", ["email"] = email, ["password"] = password,
    });

    [Fact]
    public async Task Twelve_parallel_guesses_get_no_more_than_the_limit_of_answers()
    {
        await LegacyUserAsync("target@acme.fr", 10_000);

        var answers = await Task.WhenAll(Enumerable.Range(0, 12).Select(async i =>
        {
            using var client = _gateway.NewClient();
            using var response = await client.PostAsync("/auth/login-password", Form("target@acme.fr", $"guess-{i}"), Ct);
            return response.StatusCode;
        }));

        Assert.Equal(5, answers.Count(s => s == HttpStatusCode.Unauthorized));
        Assert.Equal(7, answers.Count(s => s == HttpStatusCode.TooManyRequests));
    }

    [Fact]
    public async Task The_form_and_its_fields_are_capped_and_nothing_is_remembered_for_refused_ones()
    {
        var attempts = _gateway.Services.GetRequiredService<PasswordAttempts>();
        using var client = _gateway.NewClient();

        using (var huge = await client.PostAsync("/auth/login-password", new StringContent(
            "origin=https%3A%2F%2Fdocs.tribuo.cloud&password=x&email=" + new string('a', 20_000) + "%40acme.fr", Encoding.ASCII, "application/x-www-form-urlencoded"), Ct))
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, huge.StatusCode);
        }

        using (var longEmail = await client.PostAsync("/auth/login-password", Form(new string('a', 300) + "@acme.fr", "x"), Ct))
        {
            Assert.Equal(HttpStatusCode.BadRequest, longEmail.StatusCode);
        }

        Assert.Equal(0, attempts.Keys);
    }

    [Fact]
    public void The_attempt_table_stays_bounded_whatever_is_tried()
    {
        var attempts = new PasswordAttempts(new LoginOptions(), TimeProvider.System);

        for (var i = 0; i < PasswordAttempts.MaxKeys; i++)
        {
            Assert.True(attempts.TryReserve($"user{i}@acme.fr", $"2001:db8::{i:x}"));
        }

        Assert.True(attempts.Keys <= PasswordAttempts.MaxKeys, $"{attempts.Keys} keys");
    }

    [Fact]
    public async Task A_login_form_posted_from_another_site_is_refused()
    {
        await LegacyUserAsync("csrf@acme.fr", 10_000);
        using var client = _gateway.NewClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/auth/login-password") { Content = Form("csrf@acme.fr", "correct horse") };
        request.Headers.Add("Origin", "https://evil.example");

        using var response = await client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Null(response.Headers.Location);
    }

    [Fact]
    public async Task A_good_login_brings_older_hash_parameters_to_todays_cost()
    {
        var user = await LegacyUserAsync("old@acme.fr", 10_000);
        using var client = _gateway.NewClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/auth/login-password") { Content = Form("old@acme.fr", "correct horse") };
        request.Headers.Add("Origin", _gateway.BaseAddress.GetLeftPart(UriPartial.Authority));

        using var response = await client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var stored = await _gateway.Services.GetRequiredService<IUserStore>().GetLegacyPasswordHashAsync(user.Id, Ct);
        Assert.StartsWith($"pbkdf2_sha256${LegacyPasswordHash.CurrentIterations}$", stored);
        Assert.True(LegacyPasswordHash.Verify("correct horse", stored));
    }

    [Fact]
    public async Task A_good_login_keeps_a_stronger_hash_as_it_is()
    {
        // Django 5.2's default: rewriting it to today's 600,000 would weaken it.
        var user = await LegacyUserAsync("strong@acme.fr", 1_000_000);
        var store = _gateway.Services.GetRequiredService<IUserStore>();
        var before = await store.GetLegacyPasswordHashAsync(user.Id, Ct);
        using var client = _gateway.NewClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/auth/login-password") { Content = Form("strong@acme.fr", "correct horse") };
        request.Headers.Add("Origin", _gateway.BaseAddress.GetLeftPart(UriPartial.Authority));

        using var response = await client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal(before, await store.GetLegacyPasswordHashAsync(user.Id, Ct));
    }

    [Theory]
    [InlineData("pbkdf2_sha256$10000$s$h", true)]
    [InlineData("pbkdf2_sha256$599999$s$h", true)]
    [InlineData("pbkdf2_sha256$600000$s$h", false)]
    [InlineData("pbkdf2_sha256$720000$s$h", false)]
    [InlineData("pbkdf2_sha256$1000000$s$h", false)]
    [InlineData("pbkdf2_sha256$x$s$h", true)]
    [InlineData(null, true)]
    public void Only_a_hash_cheaper_than_todays_needs_a_rehash(string? stored, bool expected) =>
        Assert.Equal(expected, LegacyPasswordHash.NeedsRehash(stored));

    [Fact]
    public async Task A_small_malformed_form_is_a_400_a_body_of_another_type_a_415_only_a_large_one_a_413()
    {
        using var client = _gateway.NewClient();
        async Task<HttpStatusCode> PostAsync(HttpContent content)
        {
            using var response = await client.PostAsync("/auth/login-password", content, Ct);
            if ((int)response.StatusCode is 400 or 415 && response.Content.Headers.ContentType?.MediaType != "text/html")
            {
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            }

            return response.StatusCode;
        }

        var fields = string.Join('&', Enumerable.Range(0, 40).Select(i => $"f{i}=x"));
        Assert.Equal(HttpStatusCode.BadRequest, await PostAsync(new StringContent(fields, Encoding.ASCII, "application/x-www-form-urlencoded")));
        Assert.Equal(HttpStatusCode.BadRequest, await PostAsync(new StringContent(new string('k', 100) + "=x", Encoding.ASCII, "application/x-www-form-urlencoded")));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, await PostAsync(new StringContent("x", Encoding.ASCII, "text/plain")));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, await PostAsync(new StringContent("{}", Encoding.ASCII, "application/json")));
        // No body at all: as before, a login link without origin (400 page).
        Assert.Equal(HttpStatusCode.BadRequest, await PostAsync(new ByteArrayContent([])));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, await PostAsync(new StringContent(
            "origin=https%3A%2F%2Fdocs.tribuo.cloud&email=a%40b.c&password=" + new string('x', 20_000), Encoding.ASCII, "application/x-www-form-urlencoded")));
    }

    [Fact]
    public async Task A_form_with_a_NUL_password_is_not_a_413()
    {
        using var client = _gateway.NewClient();
        using var response = await client.PostAsync("/auth/login-password", new StringContent("password=%00", Encoding.ASCII, "application/x-www-form-urlencoded"), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }
}
