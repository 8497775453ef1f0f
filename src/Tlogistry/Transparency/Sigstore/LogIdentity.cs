namespace Tlogistry.Transparency.Sigstore;

/// <summary>
/// Which log a checkpoint belongs to, for a memory of checkpoints: the log's key (SHA-256 of its
/// DER public key, lower-case hex), never the origin line the log signs. A log listed by a Rekor
/// v1 ID can sign any origin, so an origin-keyed memory would let it start a second, private
/// history beside the first; keyed by the key, every checkpoint it signs meets the one memory
/// (and one of another origin is refused as a fork). The Rekor v1 and tiles views of one log
/// share its key, and so share one memory.
/// </summary>
internal static class LogIdentity
{
    public static string Of(TrustedLog log)
    {
        ArgumentNullException.ThrowIfNull(log);
        return Convert.ToHexStringLower(LogIds.ForRekorV1(log.PublicKeyDer));
    }
}
