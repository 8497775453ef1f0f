namespace Tlogistry.Transparency.Notes;

/// <summary>
/// A note whose text carries at least one valid signature from a trusted key. Signatures from
/// unknown keys are kept, unchecked, so callers can pass them on (for example witness cosignatures).
/// </summary>
internal sealed record VerifiedNote(
    string Text,
    IReadOnlyList<NoteSignature> VerifiedSignatures,
    IReadOnlyList<NoteSignature> UnverifiedSignatures);
