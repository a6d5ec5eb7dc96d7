namespace Tribuo.Gateway.Routes;

/// <summary>
/// The file a path names, through symbolic links to their final target. A Kubernetes ConfigMap mounts
/// <c>routes.json -&gt; ..data/routes.json</c> and swaps <c>..data</c>: the reload's poll compares the target, and a console
/// save replaces the target, never the link.
/// </summary>
internal static class FinalFile
{
    /// <summary>The final target of <paramref name="path"/>, or the file itself when it is not a link; IOException on a link loop.</summary>
    public static FileInfo Of(string path)
    {
        var info = new FileInfo(path);
        return info.LinkTarget is null ? info : info.ResolveLinkTarget(returnFinalTarget: true) as FileInfo ?? info;
    }
}
