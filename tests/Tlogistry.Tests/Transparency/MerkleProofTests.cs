using System.Text.Json;
using Tlogistry.Transparency.Merkle;
using static Tlogistry.Tests.Transparency.MerkleFixtures;

namespace Tlogistry.Tests.Transparency;

public sealed class MerkleProofTests
{
    // Upstream accepts this probe: with size1 = size2 it only compares the two roots, and here
    // both are the 12-byte string "don't care 2". This verifier requires every root to be a
    // 32-byte SHA-256 value before looking at it, so it rejects the probe on purpose.
    private const string OddSizedEqualRootsProbe = "testdata/consistency/additional/sizes-are-equal-one-and-proof-is-empty.json";

    [Fact]
    public void InclusionProbesAcceptExactlyTheHappyPaths()
    {
        var json = Load("tdm-inclusion-probes.json");
        var probes = json.GetProperty("probes").EnumerateArray().ToList();
        Assert.Equal(98, probes.Count);

        var failures = new List<string>();
        var accepted = 0;
        foreach (var p in probes)
        {
            var wantErr = p.GetProperty("wantErr").GetBoolean();
            var error = Capture(() => MerkleProof.VerifyInclusion(
                Size(p.GetProperty("leafIdx")),
                Size(p.GetProperty("treeSize")),
                Base64(p.GetProperty("leafHash")),
                Base64List(p.GetProperty("proof")),
                Base64(p.GetProperty("root"))));
            if ((error is not null) != wantErr)
            {
                failures.Add($"{Name(p)}: wantErr={wantErr}, got {error?.Message ?? "accepted"}");
            }

            accepted += error is null ? 1 : 0;
        }

        Assert.Empty(failures);
        Assert.Equal(6, accepted);
    }

    [Fact]
    public void ConsistencyProbesAcceptExactlyTheHappyPaths()
    {
        var json = Load("tdm-consistency-probes.json");
        var probes = json.GetProperty("probes").EnumerateArray().ToList();
        Assert.Equal(98, probes.Count);

        var failures = new List<string>();
        var flipped = 0;
        foreach (var p in probes)
        {
            var wantErr = p.GetProperty("wantErr").GetBoolean();
            if (Name(p) == OddSizedEqualRootsProbe)
            {
                Assert.False(wantErr);
                wantErr = true;
                flipped++;
            }

            var error = Capture(() => MerkleProof.VerifyConsistency(
                Size(p.GetProperty("size1")),
                Size(p.GetProperty("size2")),
                Base64List(p.GetProperty("proof")),
                Base64(p.GetProperty("root1")),
                Base64(p.GetProperty("root2"))));
            if ((error is not null) != wantErr)
            {
                failures.Add($"{Name(p)}: wantErr={wantErr}, got {error?.Message ?? "accepted"}");
            }
        }

        Assert.Empty(failures);
        Assert.Equal(1, flipped);
    }

    [Fact]
    public void EqualSizesNeedThirtyTwoByteRoots()
    {
        var root = Rfc6962.LeafHash([]);
        MerkleProof.VerifyConsistency(1, 1, [], root, root);
        var ex = Assert.Throws<MerkleProofException>(() => MerkleProof.VerifyConsistency(1, 1, [], root.AsSpan(0, 12), root.AsSpan(0, 12)));
        Assert.Contains("root1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SizeOneZeroIsRejectedEvenWhenBothSizesAreZero()
    {
        var empty = Rfc6962.EmptyRoot();
        Assert.Throws<MerkleProofException>(() => MerkleProof.VerifyConsistency(0, 0, [], empty, empty));
        Assert.Throws<MerkleProofException>(() => MerkleProof.VerifyConsistency(0, 1, [], empty, empty));
    }

    [Fact]
    public void InclusionRejectsShapeErrorsWithClearMessages()
    {
        var (_, tree) = ReferenceTree();
        var leaf = tree.LeafHash(3);
        var proof = tree.InclusionProof(3, 8);
        var root = tree.Root();

        MerkleProof.VerifyInclusion(3, 8, leaf, proof, root);
        Assert.Contains("more than", Assert.Throws<MerkleProofException>(() => MerkleProof.VerifyInclusion(3, 8, leaf, [.. proof, root], root)).Message, StringComparison.Ordinal);
        Assert.Contains("fewer than", Assert.Throws<MerkleProofException>(() => MerkleProof.VerifyInclusion(3, 8, leaf, proof.Take(2).ToList(), root)).Message, StringComparison.Ordinal);
        Assert.Contains("outside", Assert.Throws<MerkleProofException>(() => MerkleProof.VerifyInclusion(8, 8, leaf, proof, root)).Message, StringComparison.Ordinal);
        Assert.Contains("leaf hash", Assert.Throws<MerkleProofException>(() => MerkleProof.VerifyInclusion(3, 8, leaf.AsSpan(0, 31), proof, root)).Message, StringComparison.Ordinal);
        Assert.Contains("proof hash 1", Assert.Throws<MerkleProofException>(() => MerkleProof.VerifyInclusion(3, 8, leaf, [proof[0], [1, 2], proof[2]], root)).Message, StringComparison.Ordinal);
        Assert.Contains("does not lead", Assert.Throws<MerkleProofException>(() => MerkleProof.VerifyInclusion(3, 8, tree.LeafHash(2), proof, root)).Message, StringComparison.Ordinal);
        Assert.Throws<MerkleProofException>(() => MerkleProof.VerifyInclusion(3, 8, leaf, proof, root.AsSpan(0, 31)));
    }

    [Fact]
    public void ConsistencyRejectsShapeErrors()
    {
        var (_, tree) = ReferenceTree();
        var proof = tree.ConsistencyProof(3, 7);
        var root1 = tree.RootAt(3);
        var root2 = tree.RootAt(7);

        MerkleProof.VerifyConsistency(3, 7, proof, root1, root2);
        Assert.Throws<MerkleProofException>(() => MerkleProof.VerifyConsistency(3, 7, [], root1, root2));
        Assert.Throws<MerkleProofException>(() => MerkleProof.VerifyConsistency(3, 7, [.. proof, root2], root1, root2));
        Assert.Throws<MerkleProofException>(() => MerkleProof.VerifyConsistency(3, 7, proof.Skip(1).ToList(), root1, root2));
        Assert.Throws<MerkleProofException>(() => MerkleProof.VerifyConsistency(7, 3, proof, root2, root1));
        Assert.Throws<MerkleProofException>(() => MerkleProof.VerifyConsistency(3, 7, proof, root2, root1));
        Assert.Throws<MerkleProofException>(() => MerkleProof.VerifyConsistency(-1, 7, proof, root1, root2));
        Assert.Throws<MerkleProofException>(() => MerkleProof.VerifyConsistency(3, 3, proof, root1, root1));
        Assert.Throws<MerkleProofException>(() => MerkleProof.VerifyConsistency(3, 3, [], root1, root2));

        // A power-of-two size1 is not sent in the proof; the verifier must still bind it.
        var pow2 = tree.ConsistencyProof(4, 8);
        MerkleProof.VerifyConsistency(4, 8, pow2, tree.RootAt(4), tree.Root());
        Assert.Throws<MerkleProofException>(() => MerkleProof.VerifyConsistency(4, 8, pow2, tree.RootAt(3), tree.Root()));
    }

    private static string Name(JsonElement probe) => probe.GetProperty("source_path").GetString()!;

    private static MerkleProofException? Capture(Action verify)
    {
        try
        {
            verify();
            return null;
        }
        catch (MerkleProofException ex)
        {
            return ex;
        }
    }
}
