using System.Text;
using Tlogistry.Transparency.Notes;

namespace Tlogistry.Tests.Transparency.Notes;

/// <summary>Vkey parsing, skey/vkey derivation and deterministic signing from keys-and-signing.json.</summary>
public sealed class KeyVectorTests
{
    public static TheoryData<string> VkeyIds => NoteFixtures.Ids(NoteFixtures.Keys, "vkeys");

    public static TheoryData<string> SigningKeyIds => NoteFixtures.Ids(NoteFixtures.Keys, "signing_keys");

    public static TheoryData<string> SigningVectorIds => NoteFixtures.Ids(NoteFixtures.Keys, "signing_vectors");

    [Theory(SkipTestWithoutData = true)]
    [MemberData(nameof(VkeyIds))]
    public void VkeyParses(string id)
    {
        var vector = NoteFixtures.Vector(NoteFixtures.Keys, id, "vkeys");
        var vkey = (string)vector["vkey"]!;
        if (!(bool)vector["valid"]!)
        {
            Assert.Throws<FormatException>(() => NoteVerifiers.FromVkey(vkey));
            return;
        }

        var verifier = NoteVerifiers.FromVkey(vkey);
        Assert.Equal((string)vector["name"]!, verifier.Name);
        Assert.Equal((string)vector["key_id"]!, NoteKeyId.ToHex(verifier.KeyId));
        var expectedType = Convert.ToByte((string)vector["signature_type"]!, 16);
        Assert.Equal(expectedType switch
        {
            0x01 => typeof(Ed25519NoteVerifier),
            0x02 => typeof(EcdsaNoteVerifier),
            0x05 => typeof(Rfc6962NoteVerifier),
            _ => null,
        }, verifier.GetType());

        // The verifier re-encodes its own key, so matching the input proves the key material was kept.
        var vkeyOut = verifier switch
        {
            Ed25519NoteVerifier ed => ed.Vkey,
            EcdsaNoteVerifier ec => ec.Vkey,
            Rfc6962NoteVerifier ct => ct.Vkey,
            _ => null,
        };
        Assert.Equal(vkey, vkeyOut);
        var typed = Convert.FromBase64String(vkey.Split('+', 3)[2]);
        Assert.Equal(expectedType, typed[0]);
        Assert.Equal(Convert.FromBase64String((string)vector["public_key_base64"]!), typed[1..]);
    }

    [Fact]
    public void EveryTruncationAndSingleByteIncrementOfAVkeyIsRejected()
    {
        var rule = NoteFixtures.Load(NoteFixtures.Keys)["vkey_mutation_rule"]!;
        Assert.Contains("PeterNeumann+c74f20a3+", (string)rule["rule"]!, StringComparison.Ordinal);
        const string vkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
        Assert.Equal("PeterNeumann", NoteVerifiers.FromVkey(vkey).Name);

        var accepted = new List<string>();
        for (var i = 0; i < vkey.Length; i++)
        {
            for (var j = i + 1; j <= vkey.Length; j++)
            {
                if (i == 0 && j == vkey.Length)
                {
                    continue;
                }

                TryParse(vkey[i..j]);
            }

            var bytes = Encoding.ASCII.GetBytes(vkey);
            bytes[i]++;
            TryParse(Encoding.ASCII.GetString(bytes));
        }

        Assert.Empty(accepted);

        void TryParse(string candidate)
        {
            try
            {
                NoteVerifiers.FromVkey(candidate);
                accepted.Add(candidate);
            }
            catch (FormatException)
            {
            }
        }
    }

    [Theory(SkipTestWithoutData = true)]
    [MemberData(nameof(SigningKeyIds))]
    public void SkeyDerivesItsVkey(string id)
    {
        var vector = NoteFixtures.Vector(NoteFixtures.Keys, id, "signing_keys");
        var skey = (string)vector["skey"]!;
        var vkey = (string)vector["vkey"]!;

        var signer = Ed25519NoteSigner.FromSkey(skey);
        Assert.Equal(vkey, signer.Vkey);
        Assert.Equal(skey, signer.Skey);
        Assert.Equal(vkey, signer.Verifier.Vkey);

        var fromSeed = new Ed25519NoteSigner(signer.Name, Convert.FromHexString((string)vector["seed_hex"]!));
        Assert.Equal(vkey, fromSeed.Vkey);
        Assert.Equal(
            Convert.FromHexString((string)vector["public_key_hex"]!),
            Convert.FromBase64String(vkey.Split('+', 3)[2])[1..]);
    }

    [Theory(SkipTestWithoutData = true)]
    [MemberData(nameof(SigningVectorIds))]
    public void SigningIsByteForByte(string id)
    {
        var vector = NoteFixtures.Vector(NoteFixtures.Keys, id, "signing_vectors");
        var signer = Ed25519NoteSigner.FromSkey((string)vector["skey"]!);

        var note = NoteOpener.Sign((string)vector["text"]!, signer);

        Assert.Equal((string)vector["expected_note"]!, note);
        Assert.Equal(signer.Name, Assert.Single(NoteOpener.Open(note, [signer.Verifier]).VerifiedSignatures).Name);
    }

    [Theory]
    [InlineData("PRIVATE+KEY+PeterNeumann+c74f20a4+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")] // wrong key ID
    [InlineData("PRIVATE+KEY+PeterNeumann+c74f20a3+AoEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")] // type 0x02
    [InlineData("PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")] // no prefix
    [InlineData("PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKD==")] // short seed
    [InlineData("PRIVATE+KEY+Peter Neumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")] // space in name
    public void BadSkeysAreRejected(string skey) =>
        Assert.Throws<FormatException>(() => Ed25519NoteSigner.FromSkey(skey));
}
