using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Tlogistry.Transparency.Embedded;

namespace Tlogistry.Tests.Transparency.Embedded;

/// <summary>The embedded log's subject index never silently misses an entry of the log.</summary>
public sealed class EmbeddedSubjectIndexTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly Func<byte[], EnvelopeRecords, byte[]?> SubjectOf = (leaf, _) => SHA256.HashData(leaf);

    private static byte[] Leaf(int i) => Encoding.UTF8.GetBytes($"leaf {i}");

    private static string BucketOf(string dir, byte[] subject) =>
        Path.Combine(dir, "subjects", subject[0].ToString("x2", System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public async Task FailedReindexAtStartStillAdvancesTheMarker()
    {
        using var dir = new TempDirectory();
        var subject = SHA256.HashData(Leaf(0));
        var crashed = EmbeddedLog.Open(dir.Path, NullLogger.Instance, SubjectOf);
        for (var i = 0; i < 10; i++)
        {
            await crashed.AppendLeafAsync(Leaf(i), Ct);
        }

        // No Dispose: a stop before the index synced, so the next start indexes all ten again;
        // and one bucket cannot be written then.
        var bucket = BucketOf(dir.Path, subject);
        File.Delete(bucket);
        Directory.CreateDirectory(bucket);

        var refused = Assert.ThrowsAny<IOException>(() => EmbeddedLog.Open(dir.Path, NullLogger.Instance, SubjectOf));
        Assert.Contains("subject index", refused.Message, StringComparison.Ordinal);
        Assert.Equal(0, new SubjectIndex(dir.Path).Synced);

        Directory.Delete(bucket);
        using var reopened = EmbeddedLog.Open(dir.Path, NullLogger.Instance, SubjectOf);
        Assert.Equal(10, reopened.Size);
        Assert.Equal(10, reopened.Subjects!.Synced);
        Assert.Contains(0L, reopened.Subjects.Find(subject));
    }

    [Fact]
    public async Task SubjectReaderThrowingAfterCommitWedgesTheLog()
    {
        using var dir = new TempDirectory();
        var calls = 0;
        var log = EmbeddedLog.Open(dir.Path, NullLogger.Instance, (leaf, _) =>
            Interlocked.Increment(ref calls) == 1 ? throw new FormatException("record unreadable") : SHA256.HashData(leaf));

        // A bound only to tell a hang from an answer.
        var hang = TimeSpan.FromMinutes(1);

        // The leaf is durable, so its caller is answered with success.
        var first = await log.AppendLeafAsync(Leaf(0), Ct).WaitAsync(hang, Ct);
        Assert.Equal(0, first.Index);
        Assert.Equal(1, log.Size);

        // Its subject is missing from the index: further appends fail, with the reason, at once.
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => log.AppendLeafAsync(Leaf(1), Ct).WaitAsync(hang, Ct));
        Assert.Contains("record unreadable", refused.Message, StringComparison.Ordinal);
        var unreadable = Assert.Throws<InvalidOperationException>(log.CheckReadable);
        Assert.Contains("subject index", unreadable.Message, StringComparison.Ordinal);
        log.Dispose();

        // A restart indexes the durable leaf again.
        using var reopened = EmbeddedLog.Open(dir.Path, NullLogger.Instance, SubjectOf);
        Assert.Equal(1, reopened.Size);
        Assert.Contains(0L, reopened.Subjects!.Find(SHA256.HashData(Leaf(0))));
    }

    [Theory]
    [InlineData("deleted")]
    [InlineData("truncated")]
    [InlineData("restored")]
    [InlineData("marker")]
    public async Task DamagedSubjectBucketMakesLookupMissAnExistingEntry(string damage)
    {
        using var dir = new TempDirectory();
        var subject = SHA256.HashData(Leaf(0));
        var bucket = BucketOf(dir.Path, subject);
        byte[]? older = null;
        using (var log = EmbeddedLog.Open(dir.Path, NullLogger.Instance, SubjectOf))
        {
            for (var i = 0; i < 10; i++)
            {
                if (i == 0)
                {
                    // The index as an older backup holds it: synced, before the entry.
                    log.Subjects!.Sync(0);
                    older = File.Exists(bucket) ? File.ReadAllBytes(bucket) : [];
                }

                await log.AppendLeafAsync(Leaf(i), Ct);
            }

            Assert.Contains(0L, log.Subjects!.Find(subject));
        }

        Assert.True(File.Exists(bucket));
        var marker = Path.Combine(dir.Path, "subjects", "indexed");
        switch (damage)
        {
            case "deleted":
                File.Delete(bucket);
                break;
            case "truncated":
                File.WriteAllBytes(bucket, File.ReadAllBytes(bucket)[..^16]);
                break;
            case "restored":
                // Buckets from one backup, the marker from a later one.
                File.WriteAllBytes(bucket, older!);
                break;
            default:
                File.WriteAllBytes(marker, [1, 2, 3]);
                break;
        }

        using (var log = EmbeddedLog.Open(dir.Path, NullLogger.Instance, SubjectOf))
        {
            Assert.Equal(10, log.Size);
            Assert.Equal(10, log.Subjects!.Synced);
            for (var i = 0; i < 10; i++)
            {
                Assert.Contains((long)i, log.Subjects.Find(SHA256.HashData(Leaf(i))));
            }
        }
    }

    [Fact]
    public async Task UnsyncedTailOfABucketIsKeptAndIndexedAgain()
    {
        using var dir = new TempDirectory();
        var crashed = EmbeddedLog.Open(dir.Path, NullLogger.Instance, SubjectOf);
        for (var i = 0; i < 5; i++)
        {
            await crashed.AppendLeafAsync(Leaf(i), Ct);
        }

        crashed.Subjects!.Sync(crashed.Size);
        for (var i = 5; i < 10; i++)
        {
            await crashed.AppendLeafAsync(Leaf(i), Ct);
        }

        // No Dispose: the buckets are longer than the marker records, and one ends torn.
        var bucket = BucketOf(dir.Path, SHA256.HashData(Leaf(9)));
        File.AppendAllText(bucket, "torn");
        using var reopened = EmbeddedLog.Open(dir.Path, NullLogger.Instance, SubjectOf);
        Assert.Equal(0, new FileInfo(bucket).Length % 16);
        Assert.Equal(10, reopened.Subjects!.Synced);
        for (var i = 0; i < 10; i++)
        {
            Assert.Contains((long)i, reopened.Subjects.Find(SHA256.HashData(Leaf(i))));
        }
    }
}
