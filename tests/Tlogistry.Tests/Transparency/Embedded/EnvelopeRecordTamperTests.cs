using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Tlogistry.Ledger;
using Tlogistry.Signing;
using Tlogistry.Transparency;
using Tlogistry.Transparency.Embedded;
using Tlogistry.Transparency.Envelopes;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Tests.Transparency.Embedded;

/// <summary>
/// Someone who can write the data directory edits or deletes the unsigned envelope records
/// beside the log: a dsse leaf whose record is gone, holds another envelope, or states a time
/// or index the log did not sign stops the start, and a running log never answers "not found"
/// or serves an edited time for it.
/// </summary>
public sealed class EnvelopeRecordTamperTests
{
    private const string Reference = "ghcr.io/org/app:v";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ADeletedRecordStopsTheStartNamingTheLeafAndItsFile()
    {
        using var rig = await Rig.WriteAsync(2);
        var file = rig.RecordOf(1);
        File.Delete(file);

        var e = Assert.Throws<InvalidDataException>(() => rig.Open());
        Assert.Contains("leaf 1", e.Message, StringComparison.Ordinal);
        Assert.Contains(Path.GetFileName(file), e.Message, StringComparison.Ordinal);
        Assert.Contains("missing", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARecordHoldingAnotherEnvelopeStopsTheStart()
    {
        using var rig = await Rig.WriteAsync(2);
        File.Copy(rig.RecordOf(0), rig.RecordOf(1), overwrite: true);

        var e = Assert.Throws<InvalidDataException>(() => rig.Open());
        Assert.Contains("leaf 1", e.Message, StringComparison.Ordinal);
        Assert.Contains("another hash", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARecordNamingAnotherIndexStopsTheStart()
    {
        using var rig = await Rig.WriteAsync(2);
        Edit(rig.RecordOf(1), "logIndex", 0);

        var e = Assert.Throws<InvalidDataException>(() => rig.Open());
        Assert.Contains("leaf 1", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-3600L)]
    [InlineData(1L)]
    [InlineData(long.MaxValue)]
    public async Task AnEditedIntegratedTimeStopsTheStart(long change)
    {
        using var rig = await Rig.WriteAsync(2);
        var time = Read(rig.RecordOf(1))["integratedTime"]!.GetValue<long>();
        Edit(rig.RecordOf(1), "integratedTime", change == long.MaxValue ? long.MaxValue : time + change);

        var e = Assert.Throws<InvalidDataException>(() => rig.Open());
        Assert.Contains("leaf 1", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1L)]
    [InlineData(long.MaxValue)]
    public async Task AnIntegratedTimeEditedUnderARunningLogIsAnIntegrityErrorNeverServed(long change)
    {
        using var rig = await Rig.WriteAsync(1);
        using var embedded = rig.Open();
        var log = new EmbeddedSightingLog(embedded, rig.Time);
        var time = Read(rig.RecordOf(0))["integratedTime"]!.GetValue<long>();
        Edit(rig.RecordOf(0), "integratedTime", change == long.MaxValue ? long.MaxValue : time + change);

        await Assert.ThrowsAsync<LogVerificationException>(() => Search(log, Reference + 0));
        await Assert.ThrowsAsync<LogVerificationException>(() => ReadAll(log));
        await Assert.ThrowsAsync<LogVerificationException>(() => log.AppendAsync(rig.Envelopes[0], rig.Signer, Ct));
        Assert.Equal(1, embedded.Size);
    }

    [Fact]
    public async Task ARecordDeletedUnderARunningLogIsNeverNotFound()
    {
        using var rig = await Rig.WriteAsync(1);
        using var embedded = rig.Open();
        var log = new EmbeddedSightingLog(embedded, rig.Time);
        File.Delete(rig.RecordOf(0));

        // A search that came back empty would let the tag be pinned anew; so would a second append.
        var e = await Assert.ThrowsAsync<LogVerificationException>(() => Search(log, Reference + 0));
        Assert.Contains("leaf 0", e.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<LogVerificationException>(() => log.AppendAsync(rig.Envelopes[0], rig.Signer, Ct));
        Assert.Equal(1, embedded.Size);
    }

    [Fact]
    public async Task TheServedTimestampIsTheOneSignedAtAppendAndVerifiesWithTheLogKey()
    {
        using var rig = await Rig.WriteAsync(1);
        using var embedded = rig.Open();
        var log = new EmbeddedSightingLog(embedded, rig.Time);
        var stored = Convert.FromBase64String(Read(rig.RecordOf(0))["signedEntryTimestamp"]!.GetValue<string>());

        var found = Assert.Single(await Search(log, Reference + 0)).Entry;
        Assert.Equal(stored, found.SignedEntryTimestamp);
        Assert.True(SignedEntryTimestamp.Verify(found, embedded.Trusted.PublicKeyDer));
        Assert.Equal(rig.Written[0].IntegratedTime, found.IntegratedTime);
    }

    [Fact]
    public async Task AppendingTheSameEnvelopeAgainKeepsTheFirstRecordAndItsTime()
    {
        using var rig = await Rig.WriteAsync(1);
        var before = File.ReadAllBytes(rig.RecordOf(0));

        // Without a subject index the record itself finds the entry the log holds.
        foreach (var subjects in new[] { false, true })
        {
            rig.Time.Advance(TimeSpan.FromHours(1));
            using var embedded = subjects ? rig.Open() : EmbeddedLog.Open(rig.LogDir, NullLogger.Instance);
            var again = await new EmbeddedSightingLog(embedded, rig.Time).AppendAsync(rig.Envelopes[0], rig.Signer, Ct);
            Assert.Equal(rig.Written[0].IntegratedTime, again.IntegratedTime);
            Assert.Equal(0, again.LogIndex);
            Assert.Equal(1, embedded.Size);
        }

        Assert.Equal(before, File.ReadAllBytes(rig.RecordOf(0)));
    }

    [Fact]
    public async Task ARecordWhoseLeafNeverCameKeepsItsTimeAndAnEditedOneIsRefused()
    {
        using var rig = await Rig.WriteAsync(1);
        var orphan = rig.NewEnvelope(5);
        var json = orphan.ToJson();
        var leaf = EmbeddedEntry.Leaf(json, orphan, rig.Signer);
        const long CutShort = 1_700_000_000;
        using (var embedded = rig.Open())
        {
            var log = new EmbeddedSightingLog(embedded, rig.Time);

            // An append cut short after its record: the record names index 1, which another sighting then takes.
            embedded.Envelopes.Write(new EnvelopeRecord(CutShort, 1, embedded.SignEntryTimestamp(leaf, CutShort, 1), json));
            Assert.Equal(1, (await log.AppendAsync(rig.NewEnvelope(6), rig.Signer, Ct)).LogIndex);

            var file = Path.Combine(rig.LogDir, "envelopes", EnvelopeRecords.NameOf(SHA256.HashData(json)));
            var kept = File.ReadAllBytes(file);
            Edit(file, "integratedTime", CutShort + 1);
            await Assert.ThrowsAsync<LogVerificationException>(() => log.AppendAsync(orphan, rig.Signer, Ct));
            Assert.Equal(2, embedded.Size);
            File.WriteAllBytes(file, kept);

            rig.Time.Advance(TimeSpan.FromHours(1));
            var entry = await log.AppendAsync(orphan, rig.Signer, Ct);
            Assert.Equal((2L, CutShort), (entry.LogIndex, entry.IntegratedTime));
            Assert.True(SignedEntryTimestamp.Verify(entry, embedded.Trusted.PublicKeyDer));
        }

        using var reopened = rig.Open();
        Assert.Equal(3, reopened.Size);
    }

    [Fact]
    public void ARecordIsWrittenOnceAndNeverReplacedWithAnotherTime()
    {
        using var dir = new TempDirectory();
        var records = new EnvelopeRecords(dir.Path);
        byte[] envelope = [.. "{\"payload\":\"e30=\"}"u8];
        Assert.True(records.Write(new EnvelopeRecord(100, 0, [1], envelope)));
        Assert.False(records.Write(new EnvelopeRecord(200, 0, [2], envelope)));
        Assert.Equal(100, records.Read(SHA256.HashData(envelope))!.IntegratedTime);
    }

    [Fact]
    public async Task AnIntegratedTimeBeyondAnyDateIsAVerificationErrorNotACrash()
    {
        using var rig = await Rig.WriteAsync(1);
        using var embedded = rig.Open();

        // The log's key itself signed the time: only the verifier's bound is left to refuse it.
        var written = rig.Written[0];
        var entry = written with
        {
            IntegratedTime = long.MaxValue,
            SignedEntryTimestamp = embedded.SignEntryTimestamp(written.CanonicalizedBody, long.MaxValue, written.LogIndex),
        };
        Assert.True(SignedEntryTimestamp.Verify(entry, embedded.Trusted.PublicKeyDer));
        var verifier = new BundleVerifier(TrustedRoot.PublicGood.WithLogs([embedded.Trusted]));
        var bundle = new SigstoreBundle(VerificationMaterial.ForKey("k"), entry, rig.Envelopes[0], null);

        var e = Assert.Throws<LogVerificationException>(() => verifier.Verify(bundle, rig.BundleSigner, rig.Time.GetUtcNow()));
        Assert.Contains("integratedTime", e.Message, StringComparison.Ordinal);
        Assert.NotNull(verifier.Verify(bundle with { Entry = written }, rig.BundleSigner, rig.Time.GetUtcNow()));
    }

    private static JsonObject Read(string file) => JsonNode.Parse(File.ReadAllBytes(file))!.AsObject();

    private static void Edit(string file, string field, long value)
    {
        var record = Read(file);
        record[field] = value;
        File.WriteAllText(file, record.ToJsonString());
    }

    private static async Task<List<LogRecord>> Search(EmbeddedSightingLog log, string reference)
    {
        var found = new List<LogRecord>();
        await foreach (var r in log.SearchAsync(reference, null!, Ct))
        {
            found.Add(r);
        }

        return found;
    }

    private static async Task<List<LogRecord>> ReadAll(EmbeddedSightingLog log)
    {
        var read = new List<LogRecord>();
        await foreach (var r in log.ReadFromAsync(0, [], Ct))
        {
            read.Add(r);
        }

        return read;
    }

    /// <summary>A log with <c>count</c> sightings appended through the ledger's path, then closed.</summary>
    private sealed class Rig : IDisposable
    {
        private readonly TempDirectory _dir = new();
        private readonly InstanceKey _key;

        private Rig()
        {
            _key = InstanceKey.LoadOrCreate(_dir.Combine("signing-key.pem"));
            Signer = SignerMaterial.ForKey(_key.PublicKeyDer);
        }

        public ManualTimeProvider Time { get; } = new(DateTimeOffset.UnixEpoch.AddDays(20000));

        public SignerMaterial Signer { get; }

        public BundleSigner BundleSigner => BundleSigner.Key(_key.PublicKeyDer);

        public string LogDir => _dir.Combine("log");

        public List<DsseEnvelope> Envelopes { get; } = [];

        public List<TlogEntry> Written { get; } = [];

        public static async Task<Rig> WriteAsync(int count)
        {
            var rig = new Rig();
            using var embedded = rig.Open();
            var log = new EmbeddedSightingLog(embedded, rig.Time);
            for (var i = 0; i < count; i++)
            {
                var envelope = rig.NewEnvelope(i);
                rig.Envelopes.Add(envelope);
                rig.Written.Add(await log.AppendAsync(envelope, rig.Signer, Ct));
                rig.Time.Advance(TimeSpan.FromMinutes(1));
            }

            return rig;
        }

        public DsseEnvelope NewEnvelope(int i)
        {
            var claim = new SightingClaim(Typed.Tag(Reference + i), Typed.Digest("sha256:" + new string('a', 64)), "m", Time.GetUtcNow(), "u", _key.Identity);
            return _key.SignEnvelope(Dsse.InTotoPayloadType, SightingStatement.Encode(claim));
        }

        public EmbeddedLog Open() => EmbeddedLog.Open(LogDir, NullLogger.Instance, EmbeddedEntry.Subject);

        public string RecordOf(int i) => Path.Combine(LogDir, "envelopes", EnvelopeRecords.NameOf(SHA256.HashData(Envelopes[i].ToJson())));

        public void Dispose()
        {
            _key.Dispose();
            _dir.Dispose();
        }
    }
}
