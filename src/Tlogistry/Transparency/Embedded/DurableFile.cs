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
