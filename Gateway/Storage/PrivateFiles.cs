namespace Tribuo.Gateway.Storage;

/// <summary>Files the embedded store writes are readable by the gateway's user only (DESIGN §8): folder 0700, files 0600.</summary>
internal static class PrivateFiles
{
    public static void CreateFolder(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }

        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>Restricts the files that exist among <paramref name="paths"/> to their owner.</summary>
    public static void Restrict(params string[] paths)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        foreach (var path in paths.Where(File.Exists))
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }
}
