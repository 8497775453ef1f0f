namespace Tlogistry.Transparency.Notes;

/// <summary>Why <see cref="NoteOpener"/> rejected a note.</summary>
internal enum NoteVerificationReason
{
    /// <summary>The note does not follow the signed-note syntax.</summary>
    Malformed,

    /// <summary>No signature is from a trusted key.</summary>
    Unverified,

    /// <summary>A signature from a trusted key did not verify.</summary>
    InvalidSignature,

    /// <summary>A signature's name and key ID match more than one trusted key.</summary>
    Ambiguous,
}
