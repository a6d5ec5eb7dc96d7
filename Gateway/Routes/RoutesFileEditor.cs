using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tribuo.Gateway.Hosting;

namespace Tribuo.Gateway.Routes;

/// <summary>A route's access rules as an operator edits them: space-separated lists and a limit; empty removes the field.</summary>
internal sealed record RouteAccessEdit(string RouteId, string Scopes, string Roles, string Companies, string RateLimit)
{
    public static RouteAccessEdit From(RoutePolicy policy) =>
        new(policy.RouteId, string.Join(' ', policy.Scopes), string.Join(' ', policy.Roles), string.Join(' ', policy.Companies), policy.RateLimit?.Text ?? "");

    public IEnumerable<(string Name, string Value)> Fields =>
    [
        (MetadataKeys.Scopes, Scopes), (MetadataKeys.Roles, Roles), (MetadataKeys.Companies, Companies), (MetadataKeys.RateLimit, RateLimit),
    ];
}

/// <summary>What saving an edited routes file did.</summary>
internal enum RoutesSaveOutcome
{
    /// <summary>Written and loaded.</summary>
    Saved,
    /// <summary>Written, but the running gateway refused to load it (the previous configuration keeps serving).</summary>
    SavedNotLoaded,
    /// <summary>The file changed since the edit was prepared from it: nothing written.</summary>
    Conflict,
    /// <summary>The file or its folder cannot be written: nothing written.</summary>
    NotWritable,
}

/// <summary>
/// <c>routes.json</c> on disk cannot be read (missing, unreadable) or parsed (cut short, a name twice): an edit cannot
/// be made from it, and the page says so with <see cref="Exception.Message"/> (the reader's own words, no stack trace).
/// </summary>
internal sealed class RoutesFileUnreadableException(string reason, Exception inner) : Exception(reason, inner);

/// <summary>
/// Edits of <c>routes.json</c> from the console (DESIGN §9): an edit is applied to the file's text, validated by the
/// same <see cref="RoutesLoader"/> as start, reload and <c>routes check</c>, and saved atomically (a temporary file in
/// the same folder, then a rename, so the watcher never reads half a file; through a symbolic link, in the folder of
/// its final target, renamed over the target, with the replaced file's Unix mode). Every save names the SHA-256 of the text
/// the edit was made from: when the file no longer has it, someone else changed it meanwhile, and nothing is written.
/// </summary>
internal sealed class RoutesFileEditor(GatewayPaths paths, RoutesLoader loader, RoutesFileConfigProvider provider)
{
    private static readonly JsonDocumentOptions ReadOptions = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };
    private static readonly JsonSerializerOptions WriteOptions = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly SemaphoreSlim _writing = new(1, 1);

    public string FilePath => paths.RoutesFile;

    public static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>The file as it is now, and its hash; <see cref="RoutesFileUnreadableException"/> when it cannot be read.</summary>
    public async Task<(string Text, string Hash)> ReadAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            var text = await File.ReadAllTextAsync(paths.RoutesFile, cancellationToken);
            return (text, Hash(text));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Deleted or unreadable while the gateway keeps serving what it loaded before: the operator's problem to fix, not a 500.
            throw new RoutesFileUnreadableException(ex.Message, ex);
        }
    }

    /// <summary>
    /// The file's text with the route's <c>Scopes</c>, <c>Roles</c>, <c>Companies</c> and <c>RateLimit</c> replaced (a
    /// name keeps the spelling the file gave it); null when the route is not in the text. Comments are not kept.
    /// <see cref="RoutesFileUnreadableException"/> when the text is not JSON the edit can be applied to.
    /// </summary>
    public static string? Apply(string text, RouteAccessEdit edit)
    {
        try
        {
            return ApplyToJson(text, edit);
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException)
        {
            // JsonException for text cut short or not JSON; ArgumentException when an object names a member twice
            // (JsonObject's dictionary refuses it as it is first read): the file on disk is broken, not the request.
            throw new RoutesFileUnreadableException(ex.Message, ex);
        }
    }

    private static string? ApplyToJson(string text, RouteAccessEdit edit)
    {
        if (JsonNode.Parse(text, documentOptions: ReadOptions) is not JsonObject root
            || Find(root, "Routes") is not JsonObject routes
            || Find(routes, edit.RouteId) is not JsonObject route)
        {
            return null;
        }

        if (Find(route, "Metadata") is not JsonObject metadata)
        {
            metadata = [];
            route["Metadata"] = metadata;
        }

        foreach (var (name, value) in edit.Fields)
        {
            var spelled = metadata.Select(p => p.Key).FirstOrDefault(k => k.Equals(name, StringComparison.OrdinalIgnoreCase)) ?? name;
            var normalized = string.Join(' ', value.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            if (normalized.Length == 0)
            {
                metadata.Remove(spelled);
            }
            else
            {
                metadata[spelled] = normalized;
            }
        }

        return root.ToJsonString(WriteOptions) + "\n";
    }

    /// <summary>Validates the text exactly as a reload would.</summary>
    public Task<RoutesLoadResult> ValidateAsync(string text) => loader.ValidateTextAsync(text, $"routes file '{paths.RoutesFile}'");

    /// <summary>Whether a save could write the file now (its folder takes a new file, the file may be replaced).</summary>
    public bool IsWritable()
    {
        try
        {
            var target = WrittenPath();
            var probe = TempPathFor(target);
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
            return !new FileInfo(target).IsReadOnly;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// The file a save replaces: through a symbolic link, its final target (a ConfigMap's <c>..data/routes.json</c>, a
    /// file kept in a deployment folder). Renaming over the link itself would leave a regular file in its place, the
    /// target untouched, and the gateway no longer reading the file the operator links to.
    /// </summary>
    private string WrittenPath() => FinalFile.Of(paths.RoutesFile).FullName;

    /// <summary>Writes <paramref name="newText"/> in place of the file if it still is what <paramref name="baseHash"/> says, then loads it.</summary>
    public async Task<RoutesSaveOutcome> SaveAsync(string baseHash, string newText, CancellationToken cancellationToken = default)
    {
        await _writing.WaitAsync(cancellationToken);
        try
        {
            var (_, currentHash) = await ReadAsync(cancellationToken);
            if (!string.Equals(currentHash, baseHash, StringComparison.Ordinal))
            {
                return RoutesSaveOutcome.Conflict;
            }

            string? temp = null;
            try
            {
                var target = WrittenPath();
                temp = TempPathFor(target);
                await using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
                {
                    await stream.WriteAsync(Encoding.UTF8.GetBytes(newText), cancellationToken);
                    stream.Flush(flushToDisk: true);
                }

                if (!OperatingSystem.IsWindows())
                {
                    // The new file would have the process's umask (0644); the file it replaces may have been 0640 on purpose.
                    File.SetUnixFileMode(temp, File.GetUnixFileMode(target));
                }

                File.Move(temp, target, overwrite: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                if (temp is not null)
                {
                    File.Delete(temp);
                }

                return RoutesSaveOutcome.NotWritable;
            }

            return await provider.ReloadAsync() ? RoutesSaveOutcome.Saved : RoutesSaveOutcome.SavedNotLoaded;
        }
        finally
        {
            _writing.Release();
        }
    }

    private static string TempPathFor(string path) =>
        Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.{Guid.NewGuid():n}.tmp");

    private static JsonNode? Find(JsonObject parent, string name) =>
        parent.FirstOrDefault(p => p.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;
}
