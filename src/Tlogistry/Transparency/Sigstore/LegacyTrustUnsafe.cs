namespace Tlogistry.Transparency.Sigstore;

/// <summary>
/// The one log and key whose unsigned intoto 0.0.1 entries (the Go tlogistry's records) an
/// operator chose to honour (<c>--legacy-log</c>, <c>--legacy-key</c>). Such an entry keeps no
/// signature: only the log's word (its SET) says the key signed it, so a log holding its own
/// key could forge any of them. Nothing else makes an unsigned entry count.
/// </summary>
/// <param name="LogId">The log ID the entries must carry.</param>
/// <param name="PublicKeyDer">The key the entries' bodies must name (DER SubjectPublicKeyInfo).</param>
internal sealed record LegacyTrustUnsafe(byte[] LogId, byte[] PublicKeyDer)
{
    public bool Covers(byte[] logId, byte[] key) =>
        LogId.AsSpan().SequenceEqual(logId) && PublicKeyDer.AsSpan().SequenceEqual(key);
}
