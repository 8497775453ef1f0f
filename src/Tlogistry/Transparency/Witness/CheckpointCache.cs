using System.Text;

namespace Tlogistry.Transparency.Witness;

/// <summary>
/// The last checkpoint this client accepted from each log, as the go command keeps the
/// checksum database's latest tree: one file per log under <c>DIR/checkpoints/</c>, named by
/// the log's identity (<see cref="Sigstore.LogIdentity"/>, as <see cref="LogWitness"/> keys it), holding the
/// signed note exactly as the log served it (so it can be checked again, and shown as
/// evidence). Keys are percent-escaped into file names.
/// Files are replaced atomically, so a reader never sees half a note.
/// </summary>
internal sealed class CheckpointCache
{
    public CheckpointCache(string directory)
    {
        Directory = Path.GetFullPath(directory);
    }

    public string Directory { get; }

    /// <summary><c>$XDG_CACHE_HOME/tlogistry</c>, else <c>~/.cache/tlogistry</c>.</summary>
    public static string DefaultDirectory()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        return Path.Combine(
            string.IsNullOrEmpty(xdg) ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache") : xdg,
            "tlogistry");
    }

    /// <summary>Where the checkpoint of log <paramref name="origin"/> is kept.</summary>
    public string PathFor(string origin) => Path.Combine(Directory, "checkpoints", Escape(origin));

    /// <summary>The stored signed note, or null when this log was never seen.</summary>
    public string? Read(string origin)
    {
        var path = PathFor(origin);
        return File.Exists(path) ? File.ReadAllText(path, Encoding.UTF8) : null;
    }

    public void Write(string origin, string signedNote)
    {
        var path = PathFor(origin);
        var folder = Path.GetDirectoryName(path)!;
        System.IO.Directory.CreateDirectory(folder);
        var temporary = Path.Combine(folder, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        File.WriteAllText(temporary, signedNote, new UTF8Encoding(false));
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Letters, digits, '-', '_' and '.' (not leading) stay; every other UTF-8 byte becomes %XX.</summary>
    public static string Escape(string origin)
    {
        ArgumentNullException.ThrowIfNull(origin);
        var sb = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(origin))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_' || (c == '.' && sb.Length > 0))
            {
                sb.Append(c);
            }
            else
            {
                sb.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return sb.ToString();
    }
}
