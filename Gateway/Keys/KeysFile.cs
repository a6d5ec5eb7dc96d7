using System.Text.Json;
using System.Text.Json.Serialization;
using Tribuo.Gateway.Http;

namespace Tribuo.Gateway.Keys;

/// <summary><c>keys.sample.json</c> and <c>keys import</c> files: <c>{ "Keys": [ KeySpec, ... ] }</c>.</summary>
internal sealed class KeysFile
{
    public List<KeySpec> Keys { get; init; } = [];

    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNameCaseInsensitive = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        TypeInfoResolver = KeysJsonContext.Default,
    };

    /// <summary>Reads and checks a keys file; every problem names the file, the key and the field.</summary>
    public static (KeysFile? File, List<string> Errors) Read(string path)
    {
        KeysFile? file;
        try
        {
            file = JsonSerializer.Deserialize(File.ReadAllText(path), Options.TypeInfo<KeysFile>());
        }
        catch (JsonException ex)
        {
            return (null, [$"keys file '{path}': {ex.Path}: is not valid (line {ex.LineNumber + 1}): {ex.Message.Split(". ")[0]}."]);
        }
        catch (IOException ex)
        {
            return (null, [$"keys file '{path}': cannot be read: {ex.Message}"]);
        }

        if (file is null)
        {
            return (null, [$"keys file '{path}': is empty."]);
        }

        // No expiry check against today: a file that held a valid key last year must not stop the gateway now.
        var errors = file.Keys.SelectMany(k => KeyRules.Validate(k, DateTimeOffset.MinValue)).Select(e => $"keys file '{path}': {e}").ToList();
        errors.AddRange(file.Keys.GroupBy(k => k.Id).Where(g => g.Count() > 1).Select(g => $"keys file '{path}': key '{g.Key}': Id: appears {g.Count()} times."));
        return (errors.Count == 0 ? file : null, errors);
    }
}
