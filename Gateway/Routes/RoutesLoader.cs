namespace Tribuo.Gateway.Routes;

/// <summary>Reads, parses and validates a routes file. Shared by the server and <c>routes check</c>.</summary>
internal sealed class RoutesLoader(RoutesValidator validator)
{
    /// <summary>A loader outside the server (for <c>routes check</c>): YARP's validators without a host.</summary>
    public static ServiceProvider CreateStandalone() => new ServiceCollection()
        .AddLogging()
        .AddReverseProxy().Services
        .AddSingleton<Yarp.ReverseProxy.Configuration.ClusterValidators.IClusterValidator, Proxy.TraceContextMetadata>()
        .AddSingleton<RoutesValidator>()
        .AddSingleton<RoutesLoader>()
        .BuildServiceProvider();

    public async Task<RoutesLoadResult> LoadAsync(string path)
    {
        var (text, unreadable) = await ReadAsync(path);
        return unreadable ?? await ValidateTextAsync(text!, FileName(path));
    }

    /// <summary>The file's text, or why it cannot be read: read once, so what is checked is exactly what was read.</summary>
    public static async Task<(string? Text, RoutesLoadResult? Unreadable)> ReadAsync(string path)
    {
        try
        {
            return (await File.ReadAllTextAsync(path), null);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return (null, RoutesLoadResult.Failed(new ConfigError(FileName(path), "(file)", $"cannot be read: {ex.Message}")));
        }
    }

    public static string FileName(string path) => $"routes file '{path}'";

    /// <summary>Validates a routes file's text as <see cref="LoadAsync"/> would the file: what the console checks an edit with.</summary>
    public async Task<RoutesLoadResult> ValidateTextAsync(string json, string fileName)
    {
        var errors = new List<ConfigError>();
        var parsed = RoutesDocument.Parse(json, fileName, errors);
        if (parsed is null)
        {
            return new RoutesLoadResult(null, errors);
        }

        var snapshot = await validator.ValidateAsync(parsed.Value.Routes, parsed.Value.Clusters, errors);
        return snapshot is null ? new RoutesLoadResult(null, errors) : new RoutesLoadResult(snapshot, []);
    }
}

internal sealed record RoutesLoadResult(RoutesSnapshot? Snapshot, IReadOnlyList<ConfigError> Errors)
{
    public static RoutesLoadResult Failed(ConfigError error) => new(null, [error]);

    public string Describe(string path) =>
        $"{path}: {Errors.Count} error(s)" + Environment.NewLine + string.Join(Environment.NewLine, Errors.Select(e => "  - " + e));
}

/// <summary>Thrown at start when the routes file is invalid; Program turns it into a message and exit code 2.</summary>
internal sealed class GatewayConfigException(string message) : Exception(message);
