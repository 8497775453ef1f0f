using System.Text.Json.Nodes;
using Tlogistry.Transparency.Notes;

namespace Tlogistry.Tests.Transparency.Notes;

/// <summary>
/// Opens every vector in signed-notes-ed25519.json and signed-notes-other-algorithms.json with
/// its trusted keys and compares outcome, error class, text and signer lists. The api_specific
/// vectors (100-signature cap, duplicate trusted key) are implemented, so they run too.
/// </summary>
public sealed class SignedNoteVectorTests
{
    public static TheoryData<string> Ed25519Ids => NoteFixtures.Ids(NoteFixtures.Ed25519Notes);

    public static TheoryData<string> OtherAlgorithmIds => NoteFixtures.Ids(NoteFixtures.OtherAlgorithmNotes);

    [Theory(SkipTestWithoutData = true)]
    [MemberData(nameof(Ed25519Ids))]
    public void Ed25519Vector(string id) => Check(NoteFixtures.Vector(NoteFixtures.Ed25519Notes, id));

    [Theory(SkipTestWithoutData = true)]
    [MemberData(nameof(OtherAlgorithmIds))]
    public void OtherAlgorithmVector(string id) => Check(NoteFixtures.Vector(NoteFixtures.OtherAlgorithmNotes, id));

    [Fact]
    public void FixtureFilesHoldTheAdvertisedVectors()
    {
        var ed = NoteFixtures.Load(NoteFixtures.Ed25519Notes)["vectors"]!.AsArray();
        Assert.Equal(43, ed.Count);
        Assert.Equal(25, ed.Count(v => (bool)v!["valid"]!));
        Assert.Equal(7, NoteFixtures.Load(NoteFixtures.OtherAlgorithmNotes)["vectors"]!.AsArray().Count);
    }

    [Fact]
    public void RekorCheckpointVerifiesWithVerifierBuiltFromAnEcdsaObject()
    {
        var vector = NoteFixtures.Vector(NoteFixtures.OtherAlgorithmNotes, "formats-ecdsa-rekor-v1-checkpoint");
        var vkey = (string)vector["vkeys"]![0]!;
        var spki = Convert.FromBase64String(vkey.Split('+', 3)[2])[1..];
        using var key = System.Security.Cryptography.ECDsa.Create();
        key.ImportSubjectPublicKeyInfo(spki, out _);

        var verifier = new EcdsaNoteVerifier("rekor.sigstore.dev", key);
        var opened = NoteOpener.Open((string)vector["note_text"]!, [verifier]);

        Assert.Equal(0xc0d23d6au, verifier.KeyId);
        Assert.Equal(vkey, verifier.Vkey);
        var checkpoint = Checkpoint.Parse(opened.Text);
        Assert.Equal("Rekor", checkpoint.Origin);
        Assert.Equal(798034, checkpoint.Size);
    }

    private static void Check(JsonObject vector)
    {
        var trusted = NoteFixtures.Verifiers(vector);
        var expected = vector["expected"]!.AsObject();
        var noteText = (string?)vector["note_text"];
        Func<VerifiedNote> open = noteText is not null
            ? () => NoteOpener.Open(noteText, trusted)
            : () => NoteOpener.Open(Convert.FromBase64String((string)vector["note_text_base64"]!), trusted);

        if ((bool)vector["valid"]!)
        {
            var opened = open();
            if ((string?)expected["text"] is { } text)
            {
                Assert.Equal(text, opened.Text);
            }

            Assert.Equal(NoteFixtures.Strings(expected["verified_sigs"]), opened.VerifiedSignatures.Select(s => s.Name).ToList());
            Assert.Equal(NoteFixtures.Strings(expected["unverified_sigs"]), opened.UnverifiedSignatures.Select(s => s.Name).ToList());
            return;
        }

        var error = Assert.Throws<NoteVerificationException>(open);
        Assert.Equal(NoteFixtures.Reason((string)expected["error"]!), error.Reason);
        if (error.Reason == NoteVerificationReason.Unverified && NoteFixtures.Strings(expected["unverified_sigs"]) is { } names)
        {
            Assert.Equal(names, error.UnverifiedSignatures.Select(s => s.Name).ToList());
        }

        // Parse-only vectors: no published key, but the text split must still be right.
        if ((string?)expected["text_if_parsed"] is { } parsedText)
        {
            Assert.Equal(parsedText, SignedNote.Parse(noteText!).Text);
        }
    }
}
