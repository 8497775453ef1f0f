using System.Runtime.InteropServices;

namespace Tlogistry.Transparency.Embedded;

/// <summary>
/// File writes that are on disk when they return: data fsynced, then the directory entry.
/// .NET cannot open a directory as a file, so the directory sync goes through libc.
/// </summary>
internal static partial class DurableFile
{
    private const int ORdOnly = 0;
    private const int ODirectory = 0x10000;

    /// <summary>Writes a new file (or replaces one atomically through a temporary name).</summary>
    public static void Write(string path, ReadOnlySpan<byte> data, bool atomicReplace)
    {
        var dir = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(dir);
        var target = atomicReplace ? path + ".tmp" : path;
        using (var fs = new FileStream(target, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            fs.Write(data);
            fs.Flush(flushToDisk: true);
        }

        if (atomicReplace)
        {
            File.Move(target, path, overwrite: true);
        }

        SyncDirectory(dir);
    }

    /// <summary>
    /// Writes new files and returns once all of them and their directory entries are on disk.
    /// The data is written first and the fsyncs are then made at once, so the file system
    /// can commit them in one journal transaction instead of one after another.
    /// </summary>
    public static async Task WriteAllAsync(IReadOnlyList<(string Path, byte[] Data)> files, IEnumerable<string>? alsoSyncDirectories = null)
    {
        var streams = new List<FileStream>(files.Count);
        try
        {
            foreach (var (path, data) in files)
            {
                Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
                var fs = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
                streams.Add(fs);
                fs.Write(data);
            }

            await Task.WhenAll(streams.Select(fs => Task.Run(() => fs.Flush(flushToDisk: true))));
        }
        finally
        {
            foreach (var fs in streams)
            {
                await fs.DisposeAsync();
            }
        }

        var dirs = files.Select(f => System.IO.Path.GetDirectoryName(f.Path)!).Concat(alsoSyncDirectories ?? []).Distinct(StringComparer.Ordinal);
        await Task.WhenAll(dirs.Select(d => Task.Run(() => SyncDirectory(d))));
    }

    /// <summary>Writes a file without syncing it: its sync is left to <see cref="SyncFilesAsync"/>, with others.</summary>
    public static void WriteUnsynced(string path, ReadOnlySpan<byte> data)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        using var fs = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        fs.Write(data);
    }

    /// <summary>Fsyncs the data of existing files, all at once.</summary>
    public static Task SyncFilesAsync(IEnumerable<string> paths) =>
        Task.WhenAll(paths.Select(p => Task.Run(() =>
        {
            using var fs = new FileStream(p, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
            fs.Flush(flushToDisk: true);
        })));

    /// <summary>Renames a durable temporary file over <paramref name="path"/> and syncs the directory: an atomic, durable replace.</summary>
    public static void Replace(string temporary, string path)
    {
        File.Move(temporary, path, overwrite: true);
        SyncDirectory(System.IO.Path.GetDirectoryName(path)!);
    }

    public static void SyncDirectory(string dir)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var fd = Open(dir, ORdOnly | ODirectory);
        if (fd < 0)
        {
            throw new IOException($"cannot open directory {dir} to sync it (errno {Marshal.GetLastPInvokeError()})");
        }

        try
        {
            if (Fsync(fd) != 0)
            {
                throw new IOException($"fsync of directory {dir} failed (errno {Marshal.GetLastPInvokeError()})");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
