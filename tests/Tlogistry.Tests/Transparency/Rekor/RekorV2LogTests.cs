using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Tlogistry.Transparency.Envelopes;
using Tlogistry.Transparency;
using Tlogistry.Transparency.Merkle;
using Tlogistry.Transparency.Sigstore;
using Tlogistry.Transparency.Tiles;

namespace Tlogistry.Tests.Transparency.Rekor;

public sealed class RekorV2LogTests : IAsyncLifetime
{
    private static readonly byte[] LogId = Convert.FromHexString("cf1199155bddd051268d1f16ac5c0c75c009f6fb5a63f4177f8e18d7051e3fa0");
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private ScriptedRekor _rekor = null!;

    public async ValueTask InitializeAsync() => _rekor = await ScriptedRekor.StartAsync();

    public async ValueTask DisposeAsync()
    {
        await _rekor.DisposeAsync();
        _key.Dispose();
    }

    [Fact]
    public async Task CreateSendsAHashedRekordOfThePaeAndReadsTheRealAnswer()
    {
        var answer = File.ReadAllText(Fixtures.Require("sigstore", "rekor-v2-hashedrekord-create-entry-response.json"));
        _rekor.Handler = (c, r) => ScriptedRekor.Json(c, 201, answer);
        var (envelope, signer) = Sign("{\"_type\":\"https://in-toto.io/Statement/v1\"}");

        var entry = await _rekor.V2(LogId).AppendAsync(envelope, signer, TestContext.Current.CancellationToken);

        var request = Assert.Single(_rekor.Requests);
        Assert.Equal(("POST", "/api/v2/log/entries"), (request.Method, request.Path));
        var hr = JsonNode.Parse(request.Body)!["hashedRekordRequestV002"]!;
        Assert.Equal(SHA256.HashData(envelope.Pae()), Convert.FromBase64String((string)hr["digest"]!));
        Assert.Equal(envelope.Signatures[0].Signature, Convert.FromBase64String((string)hr["signature"]!["content"]!));
        var verifier = hr["signature"]!["verifier"]!;
        Assert.Equal(signer.PublicKeyDer, Convert.FromBase64String((string)verifier["publicKey"]!["rawBytes"]!));
        Assert.Equal("PKIX_ECDSA_P256_SHA_256", (string?)verifier["keyDetails"]);
        Assert.Null(verifier["x509Certificate"]);

        Assert.Equal(412114, entry.LogIndex);
        Assert.Equal(LogId, entry.LogId);
        Assert.Equal(("hashedrekord", "0.0.2"), (entry.Kind, entry.Version));
        Assert.Equal(0, entry.IntegratedTime);
        Assert.Null(entry.SignedEntryTimestamp);
        var proof = entry.InclusionProof!;
        Assert.Equal((412114L, 412115L, 9), (proof.LogIndex, proof.TreeSize, proof.Hashes.Count));
        Assert.Equal(File.ReadAllText(Fixtures.Require("sigstore", "rekor-v2-hashedrekord-create-response-checkpoint.txt")), proof.Checkpoint);

        // The answer is real: its proof leads from its body to its root.
        MerkleProof.VerifyInclusion(proof.LogIndex, proof.TreeSize, Rfc6962.LeafHash(entry.CanonicalizedBody), proof.Hashes, proof.RootHash);
    }

    [Fact]
    public async Task KeylessSignersSendTheirLeafCertificate()
    {
        var answer = File.ReadAllText(Fixtures.Require("sigstore", "rekor-v2-hashedrekord-create-entry-response.json"));
        _rekor.Handler = (c, r) => ScriptedRekor.Json(c, 201, answer);
        var (envelope, key) = Sign("{}");
        var request = new CertificateRequest("CN=test", _key, HashAlgorithmName.SHA256);
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(10));
        var signer = new SignerMaterial(key.PublicKeyDer, [cert.RawData]);

        await _rekor.V2(LogId).AppendAsync(envelope, signer, TestContext.Current.CancellationToken);

        var verifier = JsonNode.Parse(_rekor.Requests.Single().Body)!["hashedRekordRequestV002"]!["signature"]!["verifier"]!;
        Assert.Equal(cert.RawData, Convert.FromBase64String((string)verifier["x509Certificate"]!["rawBytes"]!));
        Assert.Null(verifier["publicKey"]);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("[]")]
    [InlineData("{\"logIndex\":\"1\"")]
    [InlineData("{\"logIndex\":\"-1\",\"logId\":{\"keyId\":\"AA==\"},\"kindVersion\":{\"kind\":\"a\",\"version\":\"b\"},\"canonicalizedBody\":\"AA==\"}")]
    public async Task MalformedCreateAnswersAreRefusedAsUnverified(string answer)
    {
        _rekor.Handler = (c, r) => ScriptedRekor.Json(c, 201, answer);
        var (envelope, signer) = Sign("{}");
        await Assert.ThrowsAsync<LogVerificationException>(() => _rekor.V2(LogId).AppendAsync(envelope, signer, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task ServerErrorsAreRetriedThenReported()
    {
        _rekor.Handler = (c, r) => ScriptedRekor.Json(c, 503, "{\"code\":14,\"message\":\"unavailable\"}");
        var (envelope, signer) = Sign("{}");

        var e = await Assert.ThrowsAsync<LogUnavailableException>(() => _rekor.V2(LogId).AppendAsync(envelope, signer, TestContext.Current.CancellationToken));

        Assert.Equal(3, _rekor.Requests.Count);
        Assert.Contains("503", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ThereIsNoSearch()
    {
        var log = _rekor.V2(LogId);
        var signer = SignerMaterial.ForKey(_key.ExportSubjectPublicKeyInfo());
        Assert.Empty(await log.SearchAsync("docker.io/library/alpine:3", signer, TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken));
        Assert.False(log.FindsLostPins);
        Assert.StartsWith("rekor v2 (", log.Description, StringComparison.Ordinal);
        Assert.Empty(_rekor.Requests);
    }

    [Fact]
    public async Task ReadingFromAnIndexListsEveryLaterEntryWithAProofFromTheTiles()
    {
        var ct = TestContext.Current.CancellationToken;
        var (tree, leaves) = Tree(600);
        var note = $"log.local\n600\n{Convert.ToBase64String(tree.Root())}\n\n— log.local {Convert.ToBase64String(new byte[68])}\n";
        ServeTiles(tree, leaves, note);

        var records = await _rekor.V2(LogId).ReadFromAsync(250, [SignerMaterial.ForKey(_key.ExportSubjectPublicKeyInfo())], ct).ToListAsync(ct);

        Assert.Equal(Enumerable.Range(250, 350).Select(i => (long)i), records.Select(r => r.Entry.LogIndex));
        Assert.All(records, r =>
        {
            // Hashes (here: not JSON) keep no envelope; each proof leads to the served checkpoint.
            Assert.Null(r.Envelope);
            Assert.Equal(leaves[(int)r.Entry.LogIndex], r.Entry.CanonicalizedBody);
            var proof = r.Entry.InclusionProof!;
            Assert.Equal((note, 600L), (proof.Checkpoint, proof.TreeSize));
            MerkleProof.VerifyInclusion(proof.LogIndex, proof.TreeSize, Rfc6962.LeafHash(r.Entry.CanonicalizedBody), proof.Hashes, proof.RootHash);
        });
    }

    [Fact]
    public async Task ProofsBuiltFromTilesEqualTheProofsTheLogAnswersWith()
    {
        const int size = 70000;
        var (tree, leaves) = Tree(size);
        ServeTiles(tree, leaves, checkpoint: "log.local\n70000\nAAAA\n\n— log.local AAAA\n");
        var log = _rekor.V2(LogId);

        // Sizes that end inside partial tiles at every level, on tile boundaries, and the whole log.
        foreach (var (index, treeSize) in new[] { (0L, 1L), (5L, 6L), (255L, 256L), (256L, 257L), (1000L, 1001L), (300L, 65536L), (65535L, 65537L), (412L, 69999L), (69999L, 70000L), (12345L, 70000L) })
        {
            var fromTiles = await log.InclusionProofAsync(index, treeSize, TestContext.Current.CancellationToken);
            Assert.Equal(tree.InclusionProof(index, treeSize), fromTiles);
            MerkleProof.VerifyInclusion(index, treeSize, tree.LeafHash(index), fromTiles, tree.RootAt(treeSize));

            // The older tree at index + 1 leaves grows into the tree at treeSize.
            var consistency = await log.ConsistencyProofAsync(index + 1, treeSize, TestContext.Current.CancellationToken);
            Assert.Equal(tree.ConsistencyProof(index + 1, treeSize), consistency);
            MerkleProof.VerifyConsistency(index + 1, treeSize, consistency, tree.RootAt(index + 1), tree.RootAt(treeSize));
        }
    }

    [Fact]
    public async Task AProofFromTilesMatchesTheOneInACreateAnswer()
    {
        const int size = 1300;
        var (tree, leaves) = Tree(size);
        var (envelope, signer) = Sign("{}");
        var index = size - 1L;
        var answer = BundleJson.WriteEntry(new TlogEntry(
            index,
            LogId,
            "hashedrekord",
            "0.0.2",
            0,
            null,
            new InclusionProof(index, tree.Root(), size, tree.InclusionProof(index, size), "log.local\n1300\nAAAA\n\n— log.local AAAA\n"),
            leaves[(int)index]));
        ServeTiles(tree, leaves, checkpoint: "log.local\n1300\n\n", create: answer);
        var log = _rekor.V2(LogId);

        var entry = await log.AppendAsync(envelope, signer, TestContext.Current.CancellationToken);
        var fromTiles = await log.InclusionProofAsync(entry.LogIndex, entry.InclusionProof!.TreeSize, TestContext.Current.CancellationToken);

        Assert.Equal(entry.InclusionProof.Hashes, fromTiles);
    }

    [Fact]
    public async Task CheckpointAndEntryBundlesAreReadAsServed()
    {
        var (tree, leaves) = Tree(600);
        ServeTiles(tree, leaves, checkpoint: "log.local\n600\nAAAA\n\n— log.local AAAA\n");
        var log = _rekor.V2(LogId);

        Assert.Equal("log.local\n600\nAAAA\n\n— log.local AAAA\n", await log.ReadCheckpointAsync(TestContext.Current.CancellationToken));
        Assert.Equal(leaves.Skip(256).Take(256), await log.ReadEntryBundleAsync(1, 256, TestContext.Current.CancellationToken));
        Assert.Equal(leaves.Skip(512), await log.ReadEntryBundleAsync(2, 88, TestContext.Current.CancellationToken));

        // An older, smaller partial is no longer served; the full bundle stands in for it.
        Assert.Equal(leaves.Skip(256).Take(10), await log.ReadEntryBundleAsync(1, 10, TestContext.Current.CancellationToken));
        Assert.Contains(_rekor.Requests, r => r.Path == "/tile/entries/001.p/10");
        Assert.Equal(TileMath.TileHashes(tree, 0, 2, 88), await log.ReadHashTileAsync(0, 2, 88, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task ATileOfTheWrongSizeIsRefused()
    {
        _rekor.Handler = (c, r) =>
        {
            c.Response.StatusCode = 200;
            return c.Response.Body.WriteAsync(new byte[33]).AsTask();
        };
        var e = await Assert.ThrowsAsync<LogVerificationException>(() => _rekor.V2(LogId).ReadHashTileAsync(0, 0, 1, TestContext.Current.CancellationToken));
        Assert.Contains("tile/0/000.p/1", e.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Serves a tiles log of the tree's size as a real one may: full tiles, and partials only
    /// while their tile is not full (once it is, a log may delete them, so they answer 404).
    /// </summary>
    private void ServeTiles(MerkleTree tree, IReadOnlyList<byte[]> leaves, string checkpoint, byte[]? create = null)
    {
        _rekor.Handler = (c, r) =>
        {
            if (r.Path == "/checkpoint")
            {
                return Bytes(c, Encoding.UTF8.GetBytes(checkpoint));
            }

            if (r.Path == "/api/v2/log/entries" && create is not null)
            {
                return ScriptedRekor.Json(c, 201, Encoding.UTF8.GetString(create));
            }

            if (!TilePath.TryParse(r.Path.TrimStart('/'), out var tile))
            {
                c.Response.StatusCode = 404;
                return Task.CompletedTask;
            }

            var available = tile.IsEntries ? tree.Size : tree.NodeCount(tile.Level * TileMath.TileHeight);
            var served = (int)Math.Min(TileMath.TileWidth, available - (tile.Index * TileMath.TileWidth));
            if (served <= 0 || tile.Width > served || (served == TileMath.TileWidth && !tile.IsFull))
            {
                c.Response.StatusCode = 404;
                return Task.CompletedTask;
            }

            return Bytes(c, tile.IsEntries
                ? EntryBundle.Encode(leaves.Skip((int)tile.Index * TileMath.TileWidth).Take(tile.Width).ToList())
                : TileMath.TileHashes(tree, tile.Level, tile.Index, tile.Width));
        };
    }

    private static Task Bytes(HttpContext c, byte[] data)
    {
        c.Response.StatusCode = 200;
        return c.Response.Body.WriteAsync(data).AsTask();
    }

    private static (MerkleTree Tree, List<byte[]> Leaves) Tree(int size)
    {
        var tree = new MerkleTree();
        var leaves = new List<byte[]>();
        for (var i = 0; i < size; i++)
        {
            var leaf = Encoding.UTF8.GetBytes("leaf " + i.ToString(CultureInfo.InvariantCulture));
            leaves.Add(leaf);
            tree.Append(Rfc6962.LeafHash(leaf));
        }

        return (tree, leaves);
    }

    private (DsseEnvelope Envelope, SignerMaterial Signer) Sign(string statement)
    {
        var payload = Encoding.UTF8.GetBytes(statement);
        var signature = _key.SignData(Dsse.Pae(Dsse.InTotoPayloadType, payload), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        return (new DsseEnvelope(Dsse.InTotoPayloadType, payload, [new DsseSignature("", signature)]), SignerMaterial.ForKey(_key.ExportSubjectPublicKeyInfo()));
    }
}
