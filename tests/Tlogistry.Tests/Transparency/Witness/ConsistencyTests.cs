using System.Text;
using Tlogistry.Transparency.Merkle;
using Tlogistry.Transparency.Notes;
using Tlogistry.Transparency.Witness;

namespace Tlogistry.Tests.Transparency.Witness;

public sealed class ConsistencyTests
{
    private static (MerkleTree Tree, Checkpoint[] BySize) Log(string seed, int size)
    {
        var tree = new MerkleTree();
        var checkpoints = new Checkpoint[size + 1];
        checkpoints[0] = new Checkpoint("log.test", 0, Rfc6962.EmptyRoot(), []);
        for (var i = 0; i < size; i++)
        {
            tree.Append(Rfc6962.LeafHash(Encoding.UTF8.GetBytes(seed + i)));
            checkpoints[i + 1] = new Checkpoint("log.test", i + 1, tree.Root(), []);
        }

        return (tree, checkpoints);
    }

    [Fact]
    public void AGrownTreeExtendsEveryEarlierOne()
    {
        var (tree, at) = Log("a", 20);
        for (var older = 0; older <= 20; older++)
        {
            for (var newer = older; newer <= 20; newer++)
            {
                var proof = Consistency.NeedsProof(at[older], at[newer]) ? tree.ConsistencyProof(older, newer) : null;
                Consistency.Require(at[older], at[newer], proof);
            }
        }
    }

    [Fact]
    public void TwoHistoriesUnderOneOriginAreAForkNamingBothSizesAndRoots()
    {
        var (_, mine) = Log("a", 9);
        var (other, theirs) = Log("b", 9);

        var grown = Assert.Throws<LogConsistencyException>(() => Consistency.Require(mine[5], theirs[9], other.ConsistencyProof(5, 9)));
        Assert.Contains("forked", grown.Message, StringComparison.Ordinal);
        Assert.Contains("size 5", grown.Message, StringComparison.Ordinal);
        Assert.Contains("size 9", grown.Message, StringComparison.Ordinal);
        Assert.Contains(Convert.ToBase64String(mine[5].RootHash), grown.Message, StringComparison.Ordinal);
        Assert.Contains(Convert.ToBase64String(theirs[9].RootHash), grown.Message, StringComparison.Ordinal);

        var same = Assert.Throws<LogConsistencyException>(() => Consistency.Require(mine[9], theirs[9], null));
        Assert.Contains("two checkpoints of size 9", same.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ATreeThatShrankOrAProofThatDoesNotFitIsRefused()
    {
        var (tree, at) = Log("a", 8);
        var back = Assert.Throws<LogConsistencyException>(() => Consistency.Require(at[7], at[3], null));
        Assert.Contains("went back", back.Message, StringComparison.Ordinal);

        var proof = tree.ConsistencyProof(3, 8).Select(h => (byte[])h.Clone()).ToList();
        proof[0][0] ^= 1;
        Assert.Throws<LogConsistencyException>(() => Consistency.Require(at[3], at[8], proof));
        Assert.Throws<LogConsistencyException>(() => Consistency.Require(at[3], at[8], []));
        Assert.Throws<LogConsistencyException>(() => Consistency.Require(at[3], at[8] with { Origin = "other.test" }, tree.ConsistencyProof(3, 8)));
    }

    [Theory]
    [InlineData("tlogistry.local/abcd", "tlogistry.local%2Fabcd")]
    [InlineData("rekor.sigstore.dev - 1193050959916656506", "rekor.sigstore.dev%20-%201193050959916656506")]
    [InlineData("..", "%2E.")]
    [InlineData("a/../b", "a%2F..%2Fb")]
    public void OriginsBecomeSingleFileNames(string origin, string file)
    {
        Assert.Equal(file, CheckpointCache.Escape(origin));
        Assert.DoesNotContain('/', CheckpointCache.Escape(origin));
    }
}
