namespace Tlogistry.LogServer;

/// <summary>
/// A proposed entry after the log accepted it: the exact leaf bytes, the search keys Rekor
/// would index it under (lower-case <c>alg:hex</c>), and for intoto the submitted envelope.
/// </summary>
/// <param name="Signers">The keys the entry's signatures verified with: whom a writer allow-list asks about.</param>
internal sealed record CanonicalEntry(string Kind, string ApiVersion, byte[] Body, IReadOnlyList<string> IndexKeys, byte[]? Attestation, IReadOnlyList<SignerKey> Signers);
