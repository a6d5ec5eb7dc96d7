using Tribuo.Gateway.Keys;
using Xunit;

namespace Tribuo.Gateway.Tests.Keys;

/// <summary>
/// The keys file (<c>Gateway:KeysFile</c>, <c>keys import</c>): every problem names the file, the key and the field, in
/// the words an operator writes the file in.
/// </summary>
public sealed class KeysFileTests
{
    private const string Secret = "tgw_keys-file-test-secret-0001";

    private static string Write(string json)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("tgw-keys-file-").FullName, "keys.json");
        File.WriteAllText(path, json);
        return path;
    }

    private static string Key(string id, string more) => $$"""{ "Id": "{{id}}", "Name": "N", "Scopes": ["api"]{{more}} }""";

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
}
