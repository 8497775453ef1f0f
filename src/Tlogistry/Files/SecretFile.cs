namespace Tlogistry.Files;

/// <summary>Writes a private file readable by its owner only, durably, refusing to overwrite.</summary>
internal static class SecretFile
{
    public static void WriteNew(string path, string contents)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var stream = new FileStream(path, options);
        using (var writer = new StreamWriter(stream, leaveOpen: true))
        {
            writer.Write(contents);
        }

        stream.Flush(flushToDisk: true);
    }
}
