using Tribuo.Gateway.Storage;
using Xunit;

namespace Tribuo.Gateway.Tests.Storage;

/// <summary>The key-encryption key file the embedded store creates when none is configured.</summary>
public sealed class SecretsKeyFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("tgw-secrets-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>An outside review: two instances starting at once on one folder could read the other's half-written file.</summary>
    [Fact]
    public async Task Instances_creating_it_at_the_same_moment_all_end_with_the_same_whole_key_readable_by_the_owner_only()
    {
        var file = Path.Combine(_directory, "secrets.key");
        using var start = new Barrier(16);
        // A thread each (not pool threads, which a barrier would starve): they all reach the file at once.
        var keys = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Factory.StartNew(() =>
        {
            start.SignalAndWait(TestContext.Current.CancellationToken);
            return SecretsKey.LoadOrCreate(file);
        }, TestContext.Current.CancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default)));

        Assert.All(keys, key => Assert.Equal(keys[0], key));
        Assert.Equal(32, keys[0].Length);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }

        Assert.Equal(["secrets.key"], Directory.GetFiles(_directory).Select(Path.GetFileName));
    }
}
