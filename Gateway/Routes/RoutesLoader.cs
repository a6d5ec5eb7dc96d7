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

    public async Task<RoutesLoadResult> LoadAsync(string path) => (await LoadWithTextAsync(path)).Result;

    /// <summary>Reads the file once and checks what was read: the text returned is exactly what the result describes.</summary>
    public async Task<(RoutesLoadResult Result, string? Text)> LoadWithTextAsync(string path)
    {
        var fileName = $"routes file '{path}'";
        string json;
        try
        {
            json = await File.ReadAllTextAsync(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return (RoutesLoadResult.Failed(new ConfigError(fileName, "(file)", $"cannot be read: {ex.Message}")), null);
        }

        return (await ValidateTextAsync(json, fileName), json);
    }

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
