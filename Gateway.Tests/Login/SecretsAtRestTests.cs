using Dapper;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Tribuo.Gateway.Tests.Infrastructure;
using Tribuo.Gateway.Tokens;
using Xunit;

namespace Tribuo.Gateway.Tests.Login;

/// <summary>
/// Item 10 of issue 8 (DESIGN §8): a copy of the store cannot mint tokens. Private signing keys and
/// data-protection keys are sealed with a key-encryption key kept outside the store, and the embedded
/// store's folder and files are the gateway user's only.
/// </summary>
public sealed class SecretsAtRestTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_embedded_store_is_private_and_holds_no_key_in_clear()
    {
        // No Gateway:Secrets:KeyFile: on the embedded store the gateway makes its own, next to the data.
        await using var gateway = GatewayApp.Start("""{ "Routes": {}, "Clusters": {} }""", new Dictionary<string, string?> { ["Gateway:Secrets:KeyFile"] = "" });
        var dataDir = Path.Combine(gateway.Directory, "data");
        await SigningKeysLoadedAsync(gateway);

        var protectedValue = gateway.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("test").Protect("hello");
        Assert.Equal("hello", gateway.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("test").Unprotect(protectedValue));

        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(dataDir));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(dataDir, "gateway.db")));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(dataDir, "secrets.key")));
        }

        await using var db = new SqliteConnection($"Data Source={Path.Combine(dataDir, "gateway.db")}");
        var privateKeys = (await db.QueryAsync<string>("SELECT private_key FROM signing_keys")).ToArray();
        Assert.NotEmpty(privateKeys);
        Assert.All(privateKeys, k => Assert.DoesNotContain("PRIVATE KEY", k));
        var ring = (await db.QueryAsync<string>("SELECT xml FROM data_protection_keys")).ToArray();
        Assert.NotEmpty(ring);
        Assert.All(ring, x => Assert.DoesNotContain("<masterKey", x));
    }

    /// <summary>The gateway's own key file, found readable by others (a data folder copied or restored with loose modes), is narrowed again.</summary>
    [Fact]
    public async Task A_loose_secrets_key_of_the_embedded_store_is_made_private_again()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var dataDir = Directory.CreateTempSubdirectory("tgw-loose-kek-").FullName;
        var keyFile = Path.Combine(dataDir, "secrets.key");
        await File.WriteAllTextAsync(keyFile, Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)), Ct);
        File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        await using var gateway = GatewayApp.Start("""{ "Routes": {}, "Clusters": {} }""",
            new Dictionary<string, string?> { ["Gateway:Secrets:KeyFile"] = "", ["Gateway:DataDir"] = dataDir });
        await SigningKeysLoadedAsync(gateway);

        Assert.True(gateway.Services.GetRequiredService<SigningKeys>().IsLoaded);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
    }

    /// <summary>Waits up to 30 s for the gateway's signing keys (they load in the background after start).</summary>
    private static async Task SigningKeysLoadedAsync(GatewayApp gateway)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!gateway.Services.GetRequiredService<SigningKeys>().IsLoaded && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100, Ct);
        }
    }

    [Fact]
    public async Task With_PostgreSQL_and_no_key_file_the_gateway_refuses_to_start()
    {
        var directory = Directory.CreateTempSubdirectory("tgw-secrets-").FullName;
        await File.WriteAllTextAsync(Path.Combine(directory, "routes.json"), """{ "Routes": {}, "Clusters": {} }""", Ct);

        var result = await GatewayProcess.RunAsync(TimeSpan.FromSeconds(60),
            $"--Gateway:DataDir={directory}", $"--Gateway:RoutesFile={Path.Combine(directory, "routes.json")}", "--urls=http://127.0.0.1:0",
            "--ConnectionStrings:Postgres=Host=127.0.0.1;Port=1;Username=tribuo;Password=unused;Database=tribuo");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Gateway:Secrets:KeyFile", result.Error);
        Assert.DoesNotContain("   at ", result.Error + result.Output);
    }
}
