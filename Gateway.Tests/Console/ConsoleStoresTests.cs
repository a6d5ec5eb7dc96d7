using Microsoft.Extensions.DependencyInjection;
using Tribuo.Gateway.Operations;
using Tribuo.Gateway.Tests.Infrastructure;
using Tribuo.Gateway.Users;
using Xunit;

namespace Tribuo.Gateway.Tests.OperatorsConsole;

/// <summary>What the console reads from the users' database, on PostgreSQL and on the embedded store alike: users page by page, the audit trail filtered, last logins.</summary>
public sealed class ConsoleStoresTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private GatewayApp Start(string store) =>
        GatewayApp.Start(RoutesJson.With("http://127.0.0.1:5001/", RoutesJson.Route("status", "/status", "public")),
            store == "postgres" ? new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = postgres.ConnectionString } : null);

    [Theory]
    [InlineData("postgres")]
    [InlineData("embedded")]
    public async Task Users_come_page_by_page_in_email_order_and_are_found_by_email_name_or_id(string store)
    {
        await using var gateway = Start(store);
        var users = gateway.Services.GetRequiredService<IUserStore>();
        var prefix = Guid.NewGuid().ToString("n")[..6];
        var created = new List<User>();
        foreach (var (login, name) in new[] { ("carol", "Carol Percent"), ("alice", "Alice Martin"), ("bob", "Bob Dupont"), ("dave", "Dave 100% Sure") })
        {
            var email = $"{prefix}-{login}@acme.fr";
            created.Add((await users.CreateAsync(new ExternalLogin { Provider = "test", Subject = email, Email = email, Name = name }, $"{prefix}{created.Count}", null, Ct))!);
        }

        var first = await users.ListPageAsync(prefix, null, 2, Ct);
        Assert.Equal([$"{prefix}-alice@acme.fr", $"{prefix}-bob@acme.fr"], first.Select(u => u.Email));
        var second = await users.ListPageAsync(prefix, first[^1].Email.ToUpperInvariant(), 2, Ct);
        Assert.Equal([$"{prefix}-carol@acme.fr", $"{prefix}-dave@acme.fr"], second.Select(u => u.Email));
        Assert.Empty(await users.ListPageAsync(prefix, second[^1].Email, 2, Ct));

        Assert.Equal(["Bob Dupont"], (await users.ListPageAsync("DUPONT", null, 10, Ct)).Select(u => u.Name));
        Assert.Equal([created[0].Id], (await users.ListPageAsync(created[0].Id, null, 10, Ct)).Select(u => u.Id));
        Assert.Equal(["Dave 100% Sure"], (await users.ListPageAsync("100%", null, 10, Ct)).Select(u => u.Name)); // '%' is a character, not a wildcard
    }

    [Theory]
    [InlineData("postgres")]
    [InlineData("embedded")]
    public async Task The_audit_trail_is_filtered_by_actor_key_user_and_event_and_gives_last_logins(string store)
    {
        await using var gateway = Start(store);
        var trail = gateway.Services.GetRequiredService<AuditTrail>();
        var audit = gateway.Services.GetRequiredService<AuditLog>();
        var run = Guid.NewGuid().ToString("n")[..6];
        await trail.RecordAsync("key.created", $"k-{run}", $"by ops@acme.fr (user 1); scopes api; bound to user u-{run}", Ct);
        await trail.RecordAsync("key.revoked", $"k-{run}", "by cli", Ct);
        await trail.RecordAsync("login.success", $"u-{run}", "datapass for https://docs.tribuo.cloud", Ct);
        await trail.RecordAsync("routes.edited", "api", $"by ops@acme.fr (user 1); run {run}", Ct);

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while ((await audit.ListAsync(new AuditFilter(Key: $"k-{run}"), Ct)).Entries.Count < 2 || (await audit.LastLoginsAsync([$"u-{run}"], Ct)).Count == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the audit events were not written within 20 s");
            await Task.Delay(100, Ct);
        }

        Assert.Equal(["key.revoked", "key.created"], (await audit.ListAsync(new AuditFilter(Key: $"k-{run}"), Ct)).Entries.Select(e => e.Kind));
        Assert.Equal(["login.success", "key.created"], (await audit.ListAsync(new AuditFilter(User: $"u-{run}"), Ct)).Entries.Select(e => e.Kind));
        Assert.Equal(["key.revoked"], (await audit.ListAsync(new AuditFilter(Actor: "cli", Key: $"k-{run}"), Ct)).Entries.Select(e => e.Kind));
        Assert.Contains((await audit.ListAsync(new AuditFilter(Actor: "ops@acme.fr", Event: "routes"), Ct)).Entries, e => e.Detail!.EndsWith(run, StringComparison.Ordinal));
        Assert.Empty((await audit.ListAsync(new AuditFilter(Event: "key.revoked", User: $"u-{run}"), Ct)).Entries);

        var lastLogins = await audit.LastLoginsAsync([$"u-{run}", "nobody"], Ct);
        Assert.Equal([$"u-{run}"], lastLogins.Keys);
        Assert.True(DateTimeOffset.UtcNow - lastLogins[$"u-{run}"] < TimeSpan.FromMinutes(5));

        var paged = await audit.ListAsync(new AuditFilter(Limit: 1), Ct);
        Assert.Single(paged.Entries);
        Assert.NotNull(paged.Next);
        var next = await audit.ListAsync(new AuditFilter(Before: paged.Next, Limit: 1), Ct);
        Assert.True(next.Entries[0].Id < paged.Entries[0].Id);
    }
}
