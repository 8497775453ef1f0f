using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Tlogistry.Transparency.Embedded;
using Tlogistry.Transparency.Merkle;
using Tlogistry.Transparency.Notes;
using Tlogistry.Transparency.Tiles;

namespace Tlogistry.Tests.Transparency.Embedded;

public sealed class EmbeddedLogTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static byte[] Leaf(int i) => Encoding.UTF8.GetBytes($"{{\"payload\":\"{Convert.ToBase64String(BitConverter.GetBytes(i))}\",\"payloadType\":\"t\",\"signatures\":[]}}");

    private static EmbeddedLog Open(string dir) => EmbeddedLog.Open(dir, NullLogger.Instance);

    [Fact]
    public async Task AppendsSurviveAReopenAndEveryEntryProvesInclusion()
    {
        using var dir = new TempDirectory();
        var entries = new List<AppendedLeaf>();
        string vkey;
        using (var log = Open(dir.Path))
        {
            vkey = log.VerifierKey;
            for (var i = 0; i < 300; i++)
            {
                entries.Add(await log.AppendLeafAsync(Leaf(i), Ct));
            }
        }

        using var reopened = Open(dir.Path);
        Assert.Equal(300, reopened.Size);
        Assert.Equal(vkey, reopened.VerifierKey);
        var checkpoint = Checkpoint.Parse(NoteOpener.Open(reopened.LatestCheckpoint.Note, [NoteVerifiers.FromVkey(vkey)]).Text);
        Assert.Equal(300, checkpoint.Size);
        for (var i = 0; i < entries.Count; i++)
        {
            // Each append's own proof holds against the checkpoint it produced, and a proof
            // from the reopened log holds against the final one.
            Assert.Equal(i, entries[i].Index);
            var atAppend = Checkpoint.Parse(NoteOpener.Open(entries[i].Checkpoint.Note, [NoteVerifiers.FromVkey(vkey)]).Text);
            Assert.Equal(i + 1, atAppend.Size);
            MerkleProof.VerifyInclusion(i, i + 1, Rfc6962.LeafHash(Leaf(i)), entries[i].Proof, atAppend.RootHash);
            MerkleProof.VerifyInclusion(i, 300, Rfc6962.LeafHash(Leaf(i)), reopened.InclusionProof(i, 300), checkpoint.RootHash);
        }

        // Reading the log back gives the same leaves, in order.
        var read = await reopened.ReadLeavesAsync(250, reopened.LatestCheckpoint, Ct).ToListAsync(Ct);
        Assert.Equal(50, read.Count);
        Assert.Equal(Leaf(250), read[0].Leaf);
        Assert.Equal(299, read[^1].Index);

        // A wrong leaf at a real index does not verify.
        Assert.Throws<MerkleProofException>(() => MerkleProof.VerifyInclusion(3, 300, Rfc6962.LeafHash(Leaf(4)), reopened.InclusionProof(3, 300), checkpoint.RootHash));

        // The tiles on disk are C2SP tiles: one full level-0 tile, one partial, a level-1 partial.
        Assert.True(File.Exists(Path.Combine(dir.Path, TilePath.Hash(0, 0, TileMath.TileWidth))));
        Assert.True(File.Exists(Path.Combine(dir.Path, TilePath.Hash(0, 1, 44))));
        Assert.True(File.Exists(Path.Combine(dir.Path, TilePath.Hash(1, 0, 1))));
        Assert.True(File.Exists(Path.Combine(dir.Path, TilePath.Entries(1, 44))));
        Assert.False(File.Exists(Path.Combine(dir.Path, TilePath.Entries(1, 43))));

        // Consistency between an early and the final size verifies against the two roots.
        var tree = new MerkleTree();
        for (var i = 0; i < 100; i++)
        {
            tree.Append(Rfc6962.LeafHash(Leaf(i)));
        }

        MerkleProof.VerifyConsistency(100, 300, reopened.ConsistencyProof(100, 300), tree.Root(), checkpoint.RootHash);
    }

    [Fact]
    public async Task ATamperedEntryStopsTheLogFromOpening()
    {
        using var dir = new TempDirectory();
        using (var log = Open(dir.Path))
        {
            for (var i = 0; i < 5; i++)
            {
                await log.AppendLeafAsync(Leaf(i), Ct);
            }
        }

        var bundle = Path.Combine(dir.Path, TilePath.Entries(0, 5));
        var bytes = await File.ReadAllBytesAsync(bundle, Ct);
        bytes[^3] ^= 0x01;
        await File.WriteAllBytesAsync(bundle, bytes, Ct);

        var error = Assert.Throws<InvalidDataException>(() => Open(dir.Path));
        Assert.Contains("do not match its checkpoint", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AForgedCheckpointStopsTheLogFromOpening()
    {
        using var dir = new TempDirectory();
        using (var log = Open(dir.Path))
        {
            await log.AppendLeafAsync(Leaf(0), Ct);
        }

        var path = Path.Combine(dir.Path, "checkpoint");
        var note = await File.ReadAllTextAsync(path, Ct);
        var lines = note.Split('\n');
        lines[1] = "2";
        await File.WriteAllTextAsync(path, string.Join('\n', lines), Ct);

        var error = Assert.Throws<InvalidDataException>(() => Open(dir.Path));
        Assert.Contains("does not verify", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ATamperedHashTileStopsTheLogFromOpening()
    {
        using var dir = new TempDirectory();
        using (var log = Open(dir.Path))
        {
            for (var i = 0; i < 3; i++)
            {
                await log.AppendLeafAsync(Leaf(i), Ct);
            }
        }

        var tile = Path.Combine(dir.Path, TilePath.Hash(0, 0, 3));
        var bytes = await File.ReadAllBytesAsync(tile, Ct);
        bytes[40] ^= 0xff;
        await File.WriteAllBytesAsync(tile, bytes, Ct);

        var error = Assert.Throws<InvalidDataException>(() => Open(dir.Path));
        Assert.Contains("does not match", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnAppendCutBeforeItsCheckpointIsRolledBackToTheCheckpoint()
    {
        using var dir = new TempDirectory();
        using (var log = Open(dir.Path))
        {
            await log.AppendLeafAsync(Leaf(0), Ct);
            await log.AppendLeafAsync(Leaf(1), Ct);
        }

        // A torn third append: tiles written, checkpoint not.
        await File.WriteAllBytesAsync(Path.Combine(dir.Path, TilePath.Entries(0, 3)), [0, 9, 1, 2], Ct);
        using (var log = Open(dir.Path))
        {
            Assert.Equal(2, log.Size);
            Assert.False(File.Exists(Path.Combine(dir.Path, TilePath.Entries(0, 3))));
            var third = await log.AppendLeafAsync(Leaf(2), Ct);
            Assert.Equal(2, third.Index);
        }

        using var again = Open(dir.Path);
        Assert.Equal(3, again.Size);
    }

    [Fact]
    public async Task TilesTheCheckpointDoesNotNameAreRemovedAtOpenWhateverTheirWidthOrLevel()
    {
        using var dir = new TempDirectory();
        using (var log = Open(dir.Path))
        {
            for (var i = 0; i < 3; i++)
            {
                await log.AppendLeafAsync(Leaf(i), Ct);
            }
        }

        // Torn full tiles and a level-1 tile, as an append completing tile 0 leaves them when
        // cut before its checkpoint, the next tile, and a partial a checkpoint superseded.
        string[] stray = [TilePath.Entries(0, TileMath.TileWidth), TilePath.Hash(0, 0, TileMath.TileWidth), TilePath.Hash(1, 0, 1), TilePath.Entries(1, 1), TilePath.Hash(0, 0, 2)];
        foreach (var path in stray)
        {
            var full = Path.Combine(dir.Path, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            await File.WriteAllBytesAsync(full, [1, 2, 3], Ct);
        }

        using (var log = Open(dir.Path))
        {
            Assert.Equal(3, log.Size);
            Assert.All(stray, path => Assert.False(File.Exists(Path.Combine(dir.Path, path)), path));
            Assert.True(File.Exists(Path.Combine(dir.Path, TilePath.Entries(0, 3))));
            Assert.True(File.Exists(Path.Combine(dir.Path, TilePath.Hash(0, 0, 3))));
            await log.AppendLeafAsync(Leaf(3), Ct);
        }

        using var again = Open(dir.Path);
        Assert.Equal(4, again.Size);
    }
}
