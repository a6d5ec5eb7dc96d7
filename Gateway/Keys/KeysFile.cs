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
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (IOException ex)
        {
            return (null, [$"keys file '{path}': cannot be read: {ex.Message}"]);
        }

        KeysFile? file;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            // The reader's own messages name a character and a place, never a type.
            return (null, [$"keys file '{path}': is not valid JSON (line {ex.LineNumber + 1}): {ex.Message.Split(" LineNumber:")[0]}"]);
        }

        using (document)
        {
            try
            {
                file = document.Deserialize(Options.TypeInfo<KeysFile>());
            }
            catch (JsonException ex)
            {
                return (null, [$"keys file '{path}': {Describe(ex, document.RootElement)} (line {ex.LineNumber + 1})."]);
            }
        }

        if (file is null)
        {
            return (null, [$"keys file '{path}': is empty."]);
        }

        // A null list or entry has no "absent" meaning here: an error naming it, never a crash (exit 134 with a stack trace).
        if (file.Keys is null)
        {
            return (null, [$"keys file '{path}': Keys: is null; write a list of keys, [] for none."]);
        }

        if (file.Keys.Select((key, index) => (key, index)).Where(k => k.key is null).Select(k => $"keys file '{path}': Keys[{k.index}]: is null; remove it or write a key.").ToList() is { Count: > 0 } nulls)
        {
            return (null, nulls);
        }

        // No expiry check against today: a file that held a valid key last year must not stop the gateway now.
        var errors = file.Keys.SelectMany(k => KeyRules.Validate(k, DateTimeOffset.MinValue)).Select(e => $"keys file '{path}': {e}").ToList();
        errors.AddRange(file.Keys.Where(k => KeyRules.IsUserTokenId(k.Id)).Select(k => $"keys file '{path}': {KeyRules.UserTokenReserved(k.Id)}"));
        errors.AddRange(file.Keys.GroupBy(k => k.Id).Where(g => g.Count() > 1).Select(g => $"keys file '{path}': key '{g.Key}': Id: appears {g.Count()} times."));
        errors.AddRange(SharedSecrets(file.Keys).Select(e => $"keys file '{path}': {e}"));
        return (errors.Count == 0 ? file : null, errors);
    }

    /// <summary>
    /// Keys holding one secret: the same <c>Secret</c>, the same <c>Sha256</c>, or a <c>Secret</c> whose hash is another
    /// key's <c>Sha256</c>. The store finds a key by that hash, so only the first would be imported and the others
    /// skipped, and which scopes the secret opens would depend on the order of the file. Named by Id, never by secret.
    /// </summary>
    private static IEnumerable<string> SharedSecrets(IEnumerable<KeySpec> keys) =>
        keys.Where(k => k.Secret is not null || k.Sha256 is not null)
            .GroupBy(k => k.Secret is { } secret ? KeySecrets.HashHex(secret) : k.Sha256!.ToLowerInvariant())
            .Where(g => g.Count() > 1)
            .Select(g =>
            {
                var ids = g.Select(k => $"'{k.Id}'").ToList();
                var fields = string.Join('/', g.Select(k => k.Secret is null ? nameof(KeySpec.Sha256) : nameof(KeySpec.Secret)).Distinct().Order(StringComparer.Ordinal));
                return $"keys {string.Join(", ", ids[..^1])} and {ids[^1]}: {fields}: hold the same secret; give each key its own.";
            });

    /// <summary>
    /// The key (by its Id, else its place) and the field a value could not be read for, and what it should be: the
    /// serializer's own message names internal types (<see cref="JsonFieldError"/>).
    /// </summary>
    private static string Describe(JsonException ex, JsonElement document)
    {
        var steps = JsonFieldError.Steps(ex.Path);
        var problem = JsonFieldError.Problem(Options.TypeInfo<KeysFile>(), document, steps);
        if (steps is not [{ Name: { } keys }, { Name: null, Index: var index }, ..] || !keys.Equals(nameof(Keys), StringComparison.OrdinalIgnoreCase))
        {
            return steps.Count == 0 ? "must be an object: { \"Keys\": [ ... ] }"
                : $"{JsonFieldError.Field(steps)}: {problem ?? "is not a field; the file holds { \"Keys\": [ ... ] }"}";
        }

        var entry = document.TryGetProperty(keys, out var list) && index < list.GetArrayLength() ? list[index] : default;
        var id = entry.ValueKind == JsonValueKind.Object
            ? entry.EnumerateObject().FirstOrDefault(p => p.Name.Equals(nameof(KeySpec.Id), StringComparison.OrdinalIgnoreCase)).Value
            : default;
        var key = id.ValueKind == JsonValueKind.String ? $"key '{id.GetString()}'" : $"Keys[{index}]";
        return steps.Count == 2 ? $"{key}: {problem}" : $"{key}: {JsonFieldError.Field(steps.Skip(2))}: {problem ?? "is not a field of a key"}";
    }
}
