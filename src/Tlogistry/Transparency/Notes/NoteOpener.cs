namespace Tlogistry.Transparency.Notes;

/// <summary>Checks signed notes against trusted keys, and produces signed notes.</summary>
internal static class NoteOpener
{
    /// <summary>Parses and verifies a note received as bytes (invalid UTF-8 is malformed).</summary>
    public static VerifiedNote Open(ReadOnlySpan<byte> note, IEnumerable<INoteVerifier> trusted)
    {
        SignedNote parsed;
        try
        {
            parsed = SignedNote.Parse(note);
        }
        catch (FormatException e)
        {
            throw Malformed(e);
        }

        return Verify(parsed, trusted);
    }

    /// <summary>Parses and verifies a note. Throws <see cref="NoteVerificationException"/> unless it can be trusted.</summary>
    public static VerifiedNote Open(string note, IEnumerable<INoteVerifier> trusted)
    {
        try
        {
            return Verify(SignedNote.Parse(note), trusted);
        }
        catch (FormatException e)
        {
            throw Malformed(e);
        }
    }

    private static NoteVerificationException Malformed(FormatException e) =>
        new(NoteVerificationReason.Malformed, $"malformed note: {e.Message}", e);

    /// <summary>
    /// Applies the signed-note trust rules: signatures from unknown keys are ignored, every
    /// signature from a known key must verify, and at least one must exist.
    /// </summary>
    public static VerifiedNote Verify(SignedNote note, IEnumerable<INoteVerifier> trusted)
    {
        ArgumentNullException.ThrowIfNull(note);
        ArgumentNullException.ThrowIfNull(trusted);
        var known = trusted.ToLookup(v => (v.Name, v.KeyId));
        var verified = new List<NoteSignature>();
        var unverified = new List<NoteSignature>();
        var seen = new HashSet<NoteSignature>();
        foreach (var signature in note.Signatures)
        {
            // A repeated identical line adds nothing and need not be checked twice.
            if (!seen.Add(signature))
            {
                continue;
            }

            var matches = known[(signature.Name, signature.KeyId)].Take(2).ToList();
            if (matches.Count == 0)
            {
                unverified.Add(signature);
                continue;
            }

            var keyLabel = $"{signature.Name}+{NoteKeyId.ToHex(signature.KeyId)}";
            if (matches.Count > 1)
            {
                throw new NoteVerificationException(NoteVerificationReason.Ambiguous, $"more than one trusted key is {keyLabel}");
            }

            if (!matches[0].Verify(note.Text, signature.Signature))
            {
                throw new NoteVerificationException(NoteVerificationReason.InvalidSignature, $"invalid signature for key {keyLabel}");
            }

            if (!verified.Exists(s => s.Name == signature.Name && s.KeyId == signature.KeyId))
            {
                verified.Add(signature);
            }
        }

        if (verified.Count == 0)
        {
            throw new NoteVerificationException(
                NoteVerificationReason.Unverified, "note has no signature from a trusted key", unverifiedSignatures: unverified);
        }

        return new VerifiedNote(note.Text, verified, unverified);
    }

    /// <summary>Signs <paramref name="text"/> with each signer and returns the complete signed note.</summary>
    public static string Sign(string text, params INoteSigner[] signers)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(signers);
        if (NoteSyntax.FindTextError(text) is { } error)
        {
            throw new ArgumentException($"note text contains {error}", nameof(text));
        }

        if (!text.EndsWith('\n'))
        {
            throw new ArgumentException("note text must end with a newline", nameof(text));
        }

        if (signers.Length == 0)
        {
            throw new ArgumentException("at least one signer is required", nameof(signers));
        }

        var signatures = new NoteSignature[signers.Length];
        for (var i = 0; i < signers.Length; i++)
        {
            var signer = signers[i];
            if (!NoteSyntax.IsValidKeyName(signer.Name))
            {
                throw new ArgumentException($"signer has an invalid key name '{signer.Name}'", nameof(signers));
            }

            signatures[i] = new NoteSignature(signer.Name, signer.KeyId, signer.Sign(text));
        }

        return new SignedNote(text, signatures).Format();
    }
}
