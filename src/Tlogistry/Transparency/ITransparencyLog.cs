using Tlogistry.Transparency.Envelopes;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Transparency;

/// <summary>
/// An entry read back from a log, with the envelope when the log keeps it (the embedded
/// log's leaves, Rekor v1's attestation storage). Nothing here is verified yet.
/// </summary>
internal sealed record LogRecord(TlogEntry Entry, DsseEnvelope? Envelope);

/// <summary>
/// A transparency log holding sighting envelopes. An append is durable when the returned
/// task completes and answers with the entry and its inclusion proof. Logs are transport:
/// what they return is verified by proof elsewhere, never taken on their word.
/// </summary>
internal interface ITransparencyLog
{
    /// <summary>A short description for the home page and start-up log.</summary>
    string Description { get; }

    /// <summary>The log ID that the entries this log appends carry.</summary>
    byte[] LogId { get; }

    /// <summary>
    /// True when a sighting missing from the store is found again in the log (the embedded log
    /// by its scan at start, Rekor v1 by search); false for Rekor v2, which keeps only a hash,
    /// so the store is the only copy of the statement.
    /// </summary>
    bool FindsLostPins { get; }

    /// <summary>Logs <paramref name="envelope"/>, which <paramref name="signer"/>'s key verifies.</summary>
    Task<TlogEntry> AppendAsync(DsseEnvelope envelope, SignerMaterial signer, CancellationToken cancellationToken);

    /// <summary>
    /// Entries that may be sightings of <paramref name="reference"/> by <paramref name="signer"/>'s key
    /// (or by anyone, for <see cref="SignerMaterial.AnyKey"/>), for logs with a search (Rekor v1
    /// finds them by the SHA-256 of the reference); empty for logs without one.
    /// </summary>
    IAsyncEnumerable<LogRecord> SearchAsync(string reference, SignerMaterial signer, CancellationToken cancellationToken);

    /// <summary>
    /// Entries from <paramref name="startIndex"/> on that may be by any of <paramref name="signers"/>
    /// (every key that counts, so a rotation leaves no entry out), for rebuilding the store and
    /// for monitors. A log that keeps only hashes (Rekor v2) lists its entries without envelopes.
    /// </summary>
    IAsyncEnumerable<LogRecord> ReadFromAsync(long startIndex, IReadOnlyList<SignerMaterial> signers, CancellationToken cancellationToken);

    /// <summary>
    /// Throws <see cref="LogUnavailableException"/> unless the log can be used now, found by one
    /// cheap read without retries (the readiness check): nothing it returns is trusted.
    /// </summary>
    Task CheckAsync(CancellationToken cancellationToken);
}

/// <summary>The log could not be reached, or answered with an error: no pin can be made or checked.</summary>
internal sealed class LogUnavailableException : Exception
{
    public LogUnavailableException(string message)
        : base(message)
    {
    }

    public LogUnavailableException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public LogUnavailableException()
    {
    }
}
