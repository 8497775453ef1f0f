namespace Tlogistry.Transparency.Notes;

/// <summary>A note was rejected; <see cref="Reason"/> says how.</summary>
internal sealed class NoteVerificationException : Exception
{
    public NoteVerificationException(
        NoteVerificationReason reason,
        string message,
        Exception? innerException = null,
        IReadOnlyList<NoteSignature>? unverifiedSignatures = null)
        : base(message, innerException)
    {
        Reason = reason;
        UnverifiedSignatures = unverifiedSignatures ?? [];
    }

    public NoteVerificationReason Reason { get; }

    /// <summary>For <see cref="NoteVerificationReason.Unverified"/>: the signatures present, none from a trusted key.</summary>
    public IReadOnlyList<NoteSignature> UnverifiedSignatures { get; }
}
