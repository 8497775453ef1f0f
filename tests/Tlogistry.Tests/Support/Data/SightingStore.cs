using Microsoft.Data.Sqlite;

namespace Tlogistry.Tests.Support.Data;

/// <summary>The sighting store in a data directory, as a test loses it.</summary>
internal static class SightingStore
{
    /// <summary>Deletes index.db and its WAL files, after closing pooled connections to them.</summary>
    public static void Delete(string dataDir)
    {
        SqliteConnection.ClearAllPools();
        foreach (var f in Directory.GetFiles(dataDir, "index.db*"))
        {
            File.Delete(f);
        }
    }
}
