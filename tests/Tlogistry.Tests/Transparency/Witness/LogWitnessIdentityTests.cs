using System.Security.Cryptography;
using Tlogistry.Transparency;
using Tlogistry.Transparency.Embedded;
using Tlogistry.Transparency.Notes;
using Tlogistry.Transparency.Sigstore;
using Tlogistry.Transparency.Witness;

namespace Tlogistry.Tests.Transparency.Witness;

/// <summary>
/// The client's checkpoint memory is keyed by the log's key, not by the origin the log signs:
/// a log listed under a Rekor v1 ID (which does not bind the origin) that signs a second
/// history under another origin meets the memory of the first and is refused as a fork.
/// </summary>
public sealed class LogWitnessIdentityTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ASecondOriginSignedByTheSameLogKeyIsAForkNotANewLog()
    {
        using var state = new TempDirectory();
        var seed = RandomNumberGenerator.GetBytes(32);
        var real = new Ed25519NoteSigner("log.example/a", seed);
        var forked = new Ed25519NoteSigner("log.example/a-b", seed);
        var described = LogKey.Describe(real, "https://log.example");
        var listed = described with { LogId = LogIds.ForRekorV1(described.PublicKeyDer) };
        var witness = new LogWitness(new CheckpointCache(state.Path));

        var first = Note(real, 3, 1);
        var accepted = await witness.CheckAsync(listed, new FixedCheckpoint(first), Checkpoint.Parse(SignedNote.Parse(first).Text), Ct);
        Assert.Null(accepted.Previous);

        // The same key signs a smaller tree under another origin: before, it was a "first checkpoint" of a new log.
        var fork = Note(forked, 1, 2);
        var refused = await Assert.ThrowsAsync<LogConsistencyException>(() => witness.CheckAsync(listed, new FixedCheckpoint(fork), Checkpoint.Parse(SignedNote.Parse(fork).Text), Ct));
        Assert.Contains("log.example/a-b", refused.Message, StringComparison.Ordinal);
        Assert.Single(Directory.GetFiles(Path.Combine(state.Path, "checkpoints")));
    }

    private static string Note(Ed25519NoteSigner key, long size, byte fill) =>
        NoteOpener.Sign(new Checkpoint(key.Name, size, Enumerable.Repeat(fill, 32).ToArray(), []).Format(), key);

    private sealed class FixedCheckpoint(string note) : ICheckpointSource
    {
        public string Description => "the log";

        public Task<string> ReadCheckpointAsync(CancellationToken cancellationToken) => Task.FromResult(note);

        public Task<IReadOnlyList<byte[]>> ConsistencyProofAsync(long size1, long size2, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<byte[]>>([]);
    }
}
