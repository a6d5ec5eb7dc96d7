using System.Net;
using System.Net.Http.Json;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Tribuo.Gateway.Keys;
using Tribuo.Gateway.Tests.Infrastructure;
using Xunit;

namespace Tribuo.Gateway.Tests.Operations;

public sealed class AuditTrailTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Key_changes_from_the_API_and_the_CLI_land_in_the_audit_table_without_secrets()
    {
        var keysFile = Path.Combine(Path.GetTempPath(), $"tgw-keys-{Guid.NewGuid():n}.json");
        await File.WriteAllTextAsync(keysFile, """{ "Keys": [ { "Id": "root", "Name": "Root", "Secret": "tgw_test-root-secret-00001", "Scopes": ["*"] } ] }""", Ct);
        try
        {
            await using var gateway = GatewayApp.Start("""{ "Routes": {}, "Clusters": {} }""", new Dictionary<string, string?> { ["Gateway:KeysFile"] = keysFile });
            await gateway.KeysFileImportedAsync();
            using var admin = gateway.NewClient();
            admin.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "KEY tgw_test-root-secret-00001");
            using var created = await admin.PostAsJsonAsync("/gateway/keys", new { id = "audited", name = "Audited", scopes = new[] { "api" } }, Ct);
            var secret = (await created.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(Ct)).GetProperty("secret").GetString()!;
            Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync("/gateway/keys/audited", Ct)).StatusCode);

            var dataDir = Path.Combine(gateway.Directory, "data");
            // The CLI runs with the gateway's settings, its key-encryption key included: the server's settings check, which
            // every verb now runs, refuses a key file that cannot open the stored signing keys (exit 2).
            var cli = await GatewayProcess.RunAsync(TimeSpan.FromSeconds(60), "keys", "create", "--id", "from-cli", "--name", "CLI", "--scopes", "api",
                $"--Gateway:DataDir={dataDir}", $"--Gateway:Secrets:KeyFile={GatewayApp.SharedSecretsKeyFile}");
            Assert.True(cli.ExitCode == 0, cli.Error);

            var rows = new List<(string Kind, string Subject, string Detail)>();
            var deadline = DateTime.UtcNow.AddSeconds(5);
            while (DateTime.UtcNow < deadline && rows.Count < 4)
            {
                await using var db = new SqliteConnection($"Data Source={Path.Combine(dataDir, "gateway.db")}");
                rows = (await db.QueryAsync<(string, string, string)>("SELECT kind, subject, detail FROM audit_events ORDER BY id")).ToList();
                await Task.Delay(100, Ct);
            }

            Assert.Contains(rows, r => r is ("key.created", "audited", var d) && d.Contains("by key:root"));
            Assert.Contains(rows, r => r is ("key.revoked", "audited", var d) && d.Contains("by key:root"));
            Assert.Contains(rows, r => r is ("key.created", "from-cli", var d) && d.Contains("by cli"));
            Assert.DoesNotContain(rows, r => r.Detail.Contains(secret) || r.Detail.Contains("tgw_test-root"));
        }
        finally
        {
            File.Delete(keysFile);
        }
    }

    [Fact]
    public async Task A_CLI_import_larger_than_the_audit_queue_writes_one_event_per_key_before_it_exits()
    {
        const int count = 700;
        var directory = Directory.CreateTempSubdirectory("tgw-audit-").FullName;
        var keysFile = Path.Combine(directory, "keys.json");
        var keys = Enumerable.Range(0, count).Select(i => $$"""{ "Id": "bulk-{{i}}", "Name": "Bulk {{i}}", "Sha256": "{{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(i)))}}", "Scopes": ["api"] }""");
        await File.WriteAllTextAsync(keysFile, $$"""{ "Keys": [ {{string.Join(",\n", keys)}} ] }""", Ct);

        // A queue of 25 events: the import outruns it many times over (and holds more than one batch of 500), so the writer must wait, never drop.
        var import = await GatewayProcess.RunAsync(TimeSpan.FromSeconds(120), "keys", "import", keysFile, $"--Gateway:DataDir={directory}", "--Gateway:Audit:QueueSize=25");
        Assert.Equal(0, import.ExitCode);
        Assert.Contains($"{count} imported", import.Output);

        await using var db = new SqliteConnection($"Data Source={Path.Combine(directory, "gateway.db")}");
        var created = await db.QuerySingleAsync<long>("SELECT COUNT(DISTINCT subject) FROM audit_events WHERE kind = 'key.created' AND subject LIKE 'bulk-%'");
        Assert.Equal(count, created);
    }
    /// <summary>
    /// An outside review lost audit events in a database outage. A batch whose write failed waited for the next event
    /// before it was tried again, and was forgotten when the queue closed at shutdown.
    /// </summary>
    [Fact]
    public async Task An_event_whose_write_failed_is_written_once_the_database_answers_without_waiting_for_another()
    {
        await using var gateway = GatewayApp.Start("""{ "Routes": {}, "Clusters": {} }""");
        var trail = gateway.Services.GetRequiredService<Tribuo.Gateway.Operations.AuditTrail>();
        var database = Path.Combine(gateway.Directory, "data", "gateway.db");
        await trail.RecordAsync("test.warmup", "warmup", cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(await EventuallyAsync(async () => await CountAsync(database, "warmup") == 1), "the warm-up event was not written");

        // Another connection holds the database longer than the writer's busy timeout (10 s): its write fails.
        await using (var blocker = new SqliteConnection($"Data Source={database}"))
        {
            await blocker.OpenAsync(TestContext.Current.CancellationToken);
            await using var exclusive = await blocker.BeginTransactionAsync(System.Data.IsolationLevel.Serializable, TestContext.Current.CancellationToken);
            await blocker.ExecuteAsync("INSERT INTO audit_events (at, kind, subject, detail) VALUES (0, 'test.lock', 'lock', '')", transaction: exclusive);
            await trail.RecordAsync("test.blocked", "blocked", cancellationToken: TestContext.Current.CancellationToken);
            Assert.True(await EventuallyAsync(() => Task.FromResult(gateway.Logs.Any(l => l.Contains("Audit trail not written yet", StringComparison.Ordinal))), TimeSpan.FromSeconds(20)),
                "the write did not fail while the database was held");
            await exclusive.RollbackAsync(TestContext.Current.CancellationToken);
        }

        Assert.True(await EventuallyAsync(async () => await CountAsync(database, "blocked") == 1, TimeSpan.FromSeconds(10)),
            "the event was not written once the database answered");
    }

    private static async Task<int> CountAsync(string database, string subject)
    {
        await using var db = new SqliteConnection($"Data Source={database}");
        return await db.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM audit_events WHERE subject = @subject", new { subject });
    }

    private static async Task<bool> EventuallyAsync(Func<Task<bool>> condition, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(10));
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        return await condition();
    }
}
