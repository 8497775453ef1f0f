using System.Numerics;
using Tlogistry.Transparency.Merkle;

namespace Tlogistry.Transparency.Tiles;

/// <summary>
/// RFC 6962 inclusion and consistency proofs computed from hash tiles, for logs that serve tiles rather than
/// proofs (c2sp.org/tlog-tiles). A node at tree level 8L+r is rebuilt from the 2^r level-8L
/// hashes below it in one level-L tile; a subtree on the ragged right edge is hashed from its
/// full parts. Tiles are fetched through a delegate and each at most once per proof.
/// </summary>
internal sealed class TileProofs
{
    private readonly Func<TileRef, CancellationToken, Task<byte[]>> _readTile;
    private readonly Dictionary<(int Level, long Index), byte[]> _tiles = [];

    // Nodes hashed from a tile's lower hashes, kept so that a scan proving many neighbouring
    // leaves hashes each node once.
    private readonly Dictionary<(int TreeLevel, long Index), byte[]> _nodes = [];

    /// <param name="readTile">Returns the tile's Width×32 bytes of hashes.</param>
    public TileProofs(Func<TileRef, CancellationToken, Task<byte[]>> readTile)
    {
        _readTile = readTile;
    }

    /// <summary>PATH(index, D[0:treeSize]), ordered leaf to root like <see cref="MerkleTree.InclusionProof"/>.</summary>
    public Task<IReadOnlyList<byte[]>> InclusionProofAsync(long index, long treeSize, CancellationToken cancellationToken) =>
        HashesAsync(ProofPaths.Inclusion(index, treeSize), treeSize, cancellationToken);

    /// <summary>PROOF(size1, D[0:treeSize]), ordered like <see cref="MerkleTree.ConsistencyProof"/>.</summary>
    public Task<IReadOnlyList<byte[]>> ConsistencyProofAsync(long size1, long treeSize, CancellationToken cancellationToken) =>
        HashesAsync(ProofPaths.Consistency(size1, treeSize), treeSize, cancellationToken);

    private async Task<IReadOnlyList<byte[]>> HashesAsync(IReadOnlyList<SubtreeRange> path, long treeSize, CancellationToken cancellationToken)
    {
        var hashes = new List<byte[]>(path.Count);
        foreach (var range in path)
        {
            hashes.Add(await SubtreeAsync(range.Start, range.End, treeSize, cancellationToken));
        }

        return hashes;
    }

    /// <summary>MTH(D[start:end]) for an aligned subtree, which every proof step is.</summary>
    private async Task<byte[]> SubtreeAsync(long start, long end, long treeSize, CancellationToken cancellationToken)
    {
        var n = end - start;
        if (BitOperations.IsPow2(n))
        {
            var level = BitOperations.Log2((ulong)n);
            return await NodeAsync(level, start >> level, treeSize, cancellationToken);
        }

        var k = ProofPaths.SplitPoint(n);
        var left = await SubtreeAsync(start, start + k, treeSize, cancellationToken);
        var right = await SubtreeAsync(start + k, end, treeSize, cancellationToken);
        return Rfc6962.NodeHash(left, right);
    }

    private async Task<byte[]> NodeAsync(int treeLevel, long index, long treeSize, CancellationToken cancellationToken)
    {
        if (_nodes.TryGetValue((treeLevel, index), out var known))
        {
            return known;
        }

        var tileLevel = treeLevel / TileMath.TileHeight;
        var below = treeLevel % TileMath.TileHeight;

        // The 2^below stored hashes under this node are aligned, so they never straddle two tiles.
        var first = index << below;
        var tileIndex = first / TileMath.TileWidth;
        var tile = await TileAsync(tileLevel, tileIndex, treeSize, cancellationToken);
        var offset = (int)(first % TileMath.TileWidth);
        var count = 1 << below;
        if ((offset + count) * Rfc6962.HashSize > tile.Length)
        {
            throw new FormatException($"tile {tileLevel}/{tileIndex} is too short for node {treeLevel}/{index}");
        }

        var hashes = new byte[count][];
        for (var i = 0; i < count; i++)
        {
            hashes[i] = tile.AsSpan((offset + i) * Rfc6962.HashSize, Rfc6962.HashSize).ToArray();
        }

        for (; count > 1; count /= 2)
        {
            for (var i = 0; i < count / 2; i++)
            {
                hashes[i] = Rfc6962.NodeHash(hashes[2 * i], hashes[(2 * i) + 1]);
            }
        }

        // A perfect subtree's hash never changes as the tree grows; a stored node is a copy away.
        if (below > 0)
        {
            _nodes[(treeLevel, index)] = hashes[0];
        }

        return hashes[0];
    }

    private async Task<byte[]> TileAsync(int level, long index, long treeSize, CancellationToken cancellationToken)
    {
        if (_tiles.TryGetValue((level, index), out var cached))
        {
            return cached;
        }

        var width = (int)Math.Min(TileMath.TileWidth, TileMath.NodeCount(treeSize, level) - (index * TileMath.TileWidth));
        var tile = await _readTile(new TileRef(level, index, width, IsEntries: false), cancellationToken);
        if (tile.Length != width * Rfc6962.HashSize)
        {
            throw new FormatException($"tile {level}/{index} has {tile.Length} bytes, not {width} hashes");
        }

        _tiles[(level, index)] = tile;
        return tile;
    }
}
