namespace Tlogistry.Tests.Support.Data;

/// <summary>The clone these tests were built from: the folder above the test output that holds tlogistry.slnx.</summary>
internal static class RepositoryRoot
{
    private static readonly Lazy<string> Root = new(Find);

    public static string Path => Root.Value;

    public static string Combine(params string[] parts) => System.IO.Path.Combine([Root.Value, .. parts]);

    /// <summary>The configuration this test assembly (and so the service it references) was built in.</summary>
    public static string Configuration =>
#if DEBUG
        "Debug";
#else
        "Release";
#endif

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "tlogistry.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no tlogistry.slnx above {AppContext.BaseDirectory}; the deployment tests read the clone's own files");
    }
}
