using Tribuo.Gateway.Keys;
using Tribuo.Gateway.Tests.Infrastructure;
using Xunit;

namespace Tribuo.Gateway.Tests.Keys;

/// <summary>
/// The keys file (<c>Gateway:KeysFile</c>, <c>keys import</c>): every problem names the file, the key and the field, in
/// the words an operator writes the file in.
/// </summary>
public sealed class KeysFileTests
{
    private const string Secret = "tgw_keys-file-test-secret-0001";
    private static readonly TimeSpan ProcessTimeout = TimeSpan.FromSeconds(60);

    private static string Write(string json)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("tgw-keys-file-").FullName, "keys.json");
        File.WriteAllText(path, json);
        return path;
    }

    private static string Key(string id, string more) => $$"""{ "Id": "{{id}}", "Name": "N", "Scopes": ["api"]{{more}} }""";

    private static string WithSecret(string id, string secret) => Key(id, $$""", "Secret": "{{secret}}" """);

    /// <summary>
    /// An outside tester: <c>"Disabled": "yes"</c> was "could not be converted to Tribuo.Gateway.Keys.KeySpec", an
    /// internal type and not the field. The detail now comes from the path and the field's declared type.
    /// </summary>
    [Theory]
    [InlineData("""{ "Keys": [ KEY1, { "Id": "dd1", "Name": "N", "Scopes": ["api"], "Disabled": "yes" } ] }""", "key 'dd1': Disabled: must be true or false (line 1).")]
    [InlineData("""{ "Keys": [ { "id": "dd1", "disabled": 1 } ] }""", "key 'dd1': disabled: must be true or false")]
    [InlineData("""{ "Keys": [ { "Id": "dd1", "Expires": "tomorrow" } ] }""", "key 'dd1': Expires: is not a date-time; expected ISO 8601 like 2027-01-31T00:00:00Z")]
    [InlineData("""{ "Keys": [ { "Id": "dd1", "Scopes": "api" } ] }""", "key 'dd1': Scopes: must be a list of strings")]
    [InlineData("""{ "Keys": [ { "Id": "dd1", "Scopes": ["api", 5] } ] }""", "key 'dd1': Scopes[1]: must be a string")]
    [InlineData("""{ "Keys": [ { "Id": "dd1", "Scopez": ["api"] } ] }""", "key 'dd1': Scopez: is not a field of a key")]
    [InlineData("""{ "Keys": [ KEY1, { "Name": "N", "Disabled": "yes" } ] }""", "Keys[1]: Disabled: must be true or false")]
    [InlineData("""{ "Keys": [ 5 ] }""", "Keys[0]: must be an object")]
    [InlineData("""{ "Keys": { } }""", "Keys: must be a list")]
    [InlineData("""{ "Kyes": [ ] }""", "Kyes: is not a field")]
    [InlineData("""[ ]""", "must be an object")]
    [InlineData("{ \"Keys\": [\n  { \"Id\": \"dd1\",\n    \"Disabled\": \"yes\" } ] }", "key 'dd1': Disabled: must be true or false (line 3).")]
    [InlineData("""{ "Keys": [ } """, "is not valid JSON (line 1)")]
    [InlineData("""{ "Keys": null }""", "Keys: is null")] // both crashed the gateway's start (exit 134)
    [InlineData("""{ "Keys": [ KEY1, null ] }""", "Keys[1]: is null")]
    public void A_value_it_cannot_read_names_the_key_and_the_field_never_a_type(string json, string expected)
    {
        var path = Write(json.Replace("KEY1", Key("first", ""), StringComparison.Ordinal));

        var (file, errors) = KeysFile.Read(path);

        Assert.Null(file);
        var error = Assert.Single(errors);
        Assert.StartsWith($"keys file '{path}': ", error);
        Assert.Contains(expected, error);
        Assert.DoesNotContain("Tribuo.", error);
        Assert.DoesNotContain("System.", error);
    }

    /// <summary>
    /// An outside tester: dd1 (scopes api) and dd2 (scopes *) with one secret were "1 imported, 1 already known or
    /// skipped" and exit 0, and a gateway started on them with a warning; which scopes the secret opened depended on the order.
    /// </summary>
    [Theory]
    [InlineData("\"Secret\": \"SECRET\"", "\"Secret\": \"SECRET\"", "Secret")]
    [InlineData("\"Sha256\": \"HASH\"", "\"Sha256\": \"HASH\"", "Sha256")]
    [InlineData("\"Sha256\": \"HASH\"", "\"Secret\": \"SECRET\"", "Secret/Sha256")]
    public void Two_keys_with_one_secret_are_refused_naming_both_and_the_field(string first, string second, string field)
    {
        var path = Write(SharedSecretFile(first, second));

        var (file, errors) = KeysFile.Read(path);

        Assert.Null(file);
        var error = Assert.Single(errors);
        Assert.Equal($"keys file '{path}': keys 'dd1' and 'dd2': {field}: hold the same secret; give each key its own.", error);
    }

    [Fact]
    public async Task Keys_import_of_two_keys_with_one_secret_imports_nothing_and_exits_1()
    {
        var dataDir = $"--Gateway:DataDir={Directory.CreateTempSubdirectory("tgw-keys-file-cli-").FullName}";
        var path = Write(SharedSecretFile("\"Secret\": \"SECRET\"", "\"Secret\": \"SECRET\""));

        var import = await GatewayProcess.RunAsync(ProcessTimeout, "keys", "import", path, dataDir);

        Assert.Equal(1, import.ExitCode);
        Assert.Contains("keys 'dd1' and 'dd2': Secret: hold the same secret", import.Error);
        Assert.DoesNotContain("imported", import.Output);
        Assert.DoesNotContain(Secret, import.Output + import.Error);
        Assert.Equal(1, (await GatewayProcess.RunAsync(ProcessTimeout, "keys", "show", "dd1", dataDir)).ExitCode);
    }

    /// <summary>
    /// An outside tester: a key holding the secret of a key already in the store was "0 imported, 1 already known or
    /// skipped" and exit 0, naming nothing. An Id already in the store stays "already known" (a second import is a no-op).
    /// </summary>
    [Fact]
    public async Task Keys_import_of_a_key_holding_the_secret_of_a_stored_key_names_it_and_exits_1()
    {
        var dataDir = $"--Gateway:DataDir={Directory.CreateTempSubdirectory("tgw-keys-file-taken-").FullName}";
        var created = await GatewayProcess.RunAsync(ProcessTimeout, "keys", "create", "--id", "admin", "--name", "Admin", "--scopes", "*", dataDir);
        Assert.Equal(0, created.ExitCode);
        var secret = created.Output.Trim();
        var path = Write($$"""{ "Keys": [ {{WithSecret("imp6", secret)}}, {{WithSecret("imp7", Secret)}} ] }""");

        var import = await GatewayProcess.RunAsync(ProcessTimeout, "keys", "import", path, dataDir);

        Assert.Equal(1, import.ExitCode);
        Assert.Contains("key 'imp6': its secret is already held by a key in the store", import.Error);
        Assert.DoesNotContain(secret, import.Output + import.Error);
        Assert.DoesNotContain("admin", import.Output + import.Error);
        Assert.Contains("1 imported", import.Output);
        Assert.Equal(1, (await GatewayProcess.RunAsync(ProcessTimeout, "keys", "show", "imp6", dataDir)).ExitCode);

        var again = await GatewayProcess.RunAsync(ProcessTimeout, "keys", "import", Write($$"""{ "Keys": [ {{WithSecret("imp7", Secret)}} ] }"""), dataDir);
        Assert.Equal(0, again.ExitCode);
        Assert.Contains("0 imported, 1 already known", again.Output);
    }

    [Fact]
    public async Task Seeding_a_key_holding_the_secret_of_a_stored_key_is_a_warning_naming_it()
    {
        var dataDir = Directory.CreateTempSubdirectory("tgw-keys-file-seed-").FullName;
        var routes = """{ "Routes": {}, "Clusters": {} }""";
        await using (var first = GatewayApp.Start(routes, new Dictionary<string, string?>
        {
            ["Gateway:DataDir"] = dataDir,
            ["Gateway:KeysFile"] = Write($$"""{ "Keys": [ {{WithSecret("stored", Secret)}} ] }"""),
        }))
        {
            await first.KeysFileImportedAsync();
        }

        await using var second = GatewayApp.Start(routes, new Dictionary<string, string?>
        {
            ["Gateway:DataDir"] = dataDir,
            ["Gateway:KeysFile"] = Write($$"""{ "Keys": [ {{WithSecret("imp6", Secret)}} ] }"""),
        });
        await second.KeysFileImportedAsync();

        var warning = Assert.Single(second.Logs, l => l.Contains("imp6", StringComparison.Ordinal));
        Assert.Contains("Key imp6 not imported: its secret is already held by a key in the store", warning);
        Assert.DoesNotContain(Secret, string.Join('\n', second.Logs));
        Assert.DoesNotContain("stored", warning);
    }

    [Fact]
    public async Task A_gateway_given_two_keys_with_one_secret_does_not_start()
    {
        var directory = Directory.CreateTempSubdirectory("tgw-keys-file-start-").FullName;
        File.WriteAllText(Path.Combine(directory, "routes.json"), """{ "Routes": {}, "Clusters": {} }""");
        var path = Write(SharedSecretFile("\"Secret\": \"SECRET\"", "\"Sha256\": \"HASH\""));

        var start = await GatewayProcess.RunAsync(ProcessTimeout, $"--Gateway:DataDir={directory}", $"--Gateway:RoutesFile={Path.Combine(directory, "routes.json")}",
            $"--Gateway:KeysFile={path}", "--urls=http://127.0.0.1:0");

        Assert.Equal(2, start.ExitCode);
        Assert.Contains("cannot start", start.Error);
        Assert.Contains("keys 'dd1' and 'dd2': Secret/Sha256: hold the same secret", start.Error);
        Assert.DoesNotContain(Secret, start.Output + start.Error);
        Assert.DoesNotContain(KeySecrets.HashHex(Secret), start.Output + start.Error);
    }

    private static string SharedSecretFile(string first, string second)
    {
        string Fill(string fields) => fields.Replace("SECRET", Secret, StringComparison.Ordinal).Replace("HASH", KeySecrets.HashHex(Secret), StringComparison.Ordinal);
        return $$"""
            { "Keys": [
              { "Id": "dd1", "Name": "D1", "Scopes": ["api"], {{Fill(first)}} },
              { "Id": "dd2", "Name": "D2", "Scopes": ["*"], {{Fill(second)}} } ] }
            """;
    }
}
