namespace Tlogistry.Transparency.Embedded;

/// <summary>
/// Files that must be durable before an append's checkpoint, written by its preparation but
/// synced with the whole batch: each is written under a temporary name, then all temporaries
/// are fsynced at once, linked in under their final names, and their directories synced
/// with the batch's tiles. A file is thus absent or whole, and durable before the checkpoint
/// that first names a leaf depending on it, for one fsync wave per batch instead of one per file.
/// </summary>
internal sealed class DeferredSync
{
    private readonly List<PendingFile> _files = [];
    private readonly HashSet<string> _finals = new(StringComparer.Ordinal);

    /// <summary>A file written to <see cref="PendingFile.Temporary"/>, to become <see cref="PendingFile.Final"/>.</summary>
    /// <param name="Replace">Whether it may replace a file already there; else it is linked in only where none is.</param>
    public sealed record PendingFile(string Temporary, string Final, bool Replace);

    public IReadOnlyList<PendingFile> Files => _files;

    /// <summary>Whether a file of this batch already goes to <paramref name="final"/>.</summary>
    public bool Claims(string final) => _finals.Contains(final);

    public void Add(string temporary, string final, bool replace)
    {
        if (!_finals.Add(final))
        {
            throw new InvalidOperationException($"{final} is written twice in one batch");
        }

        _files.Add(new PendingFile(temporary, final, replace));
    }

    /// <summary>Drops what one preparation added, when it failed after adding.</summary>
    public void Truncate(int count)
    {
        for (var i = _files.Count - 1; i >= count; i--)
        {
            _finals.Remove(_files[i].Final);
            _files.RemoveAt(i);
        }
    }
}
