using System.Security.Cryptography;
using Tlogistry.Transparency.Notes;
using static Tlogistry.Fuzzing.PropertyViolation;

namespace Tlogistry.Fuzzing;

/// <summary>Signed notes, checkpoints and verifier keys (c2sp.org/signed-note, tlog-checkpoint).</summary>
internal static class NoteTargets
{
    private const string Origin = "fuzz.example/log";

    // Fixed keys, so that seeds carry signatures that verify and a crash input replays anywhere.
    private static readonly Ed25519NoteSigner EdSigner = new(Origin, Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());

    private static readonly EcdsaNoteSigner EcSigner = CreateEcdsaSigner();

    /// <summary>The fuzz keys and a few real ones of each signature type, so every verifier is reached.</summary>
    private static readonly INoteVerifier[] Trusted =
    [
        EdSigner.Verifier,
        EcSigner.Verifier,
        NoteVerifiers.FromVkey("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"),
        NoteVerifiers.FromVkey("sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"),
        NoteVerifiers.FromVkey("rekor.sigstore.dev+c0d23d6a+AjBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABNhtmPtrWm3U1eQXBogSMdGvXwBcK5AW5i0hrZLOC96l+smGNM7nwZ4QvFK/4sueRoVj//QP22Ni4Qt9DPfkWLc="),
        NoteVerifiers.FromVkey("ct.googleapis.com/logs/us1/argon2024+7deb49d0+BTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABB25bKnLaZTFXOa2pgO70rjcVEMXKJkMBgFQHZ1kwFlGK9zIAx0FtC2oCfeZQe0E++VXuiYE9hFSzhRlOy92K8A="),
    ];

    private static readonly string RootHash = Convert.ToBase64String(SHA256.HashData("fuzz"u8));

    private static readonly string[] NoteTokens =
    [
        "\n", "\n\n", "\u2014 ", "\u2014", "+", "=", "==", " ", "\r", "\u0000", "\t", "\u00a0", "\u3000", "\ud800", "\udc00", "\ufeff",
        Origin, "AAAA", RootHash,
    ];

    private static readonly string[] NoteSeeds =
    [
        NoteOpener.Sign("hello\n", EdSigner),
        NoteOpener.Sign("hello\n", EcSigner),
        NoteOpener.Sign("a\n\nb\n\n", EdSigner, EcSigner),
        NoteOpener.Sign($"{Origin}\n3\n{RootHash}\n", EdSigner),
        NoteOpener.Sign($"{Origin}\n3\n{RootHash}\nextension line\n", EcSigner, EdSigner),
        NoteOpener.Sign("hello\n", new Ed25519NoteSigner("unknown", new byte[32])),
        "hello\n\n\u2014 " + Origin + " AAAAAAAA\n",
        "hello\n\n",
        "hello\n",
    ];

    private static readonly string[] CheckpointTokens = ["\n", "0", "9", "-", "+", "=", "==", "/", " ", "\u00a0", "\ud800", Origin, RootHash];

    private static readonly string[] CheckpointSeeds =
    [
        $"{Origin}\n0\n{RootHash}\n",
        $"{Origin}\n1234567\n{RootHash}\n",
        $"{Origin}\n9223372036854775807\n{RootHash}\nextension\nsecond extension\n",
        $"go.sum database tree\n18446744073709551616\n{RootHash}\n",
        $"{Origin}\n01\n{RootHash}\n",
        $"{Origin}\n3\nWqx3HImawpLnS/Gv4ubjAvi1WIOy0b8Ze0amvqbavKk=\n",
        $"{Origin}\n3\n{RootHash}\n\n",
        $"{Origin}\n3\n{RootHash}",
    ];

    private static readonly string[] VkeyTokens = ["+", "=", "==", "/", "A", "B", "Q", "F", "00000000", "\u00a0", "\ud800", "MBMGByqGSM49AgEG"];

    private static readonly string[] VkeySeeds =
    [
        EdSigner.Vkey,
        EcSigner.Vkey,
        .. Trusted.Skip(2).Select(Vkey),
        "PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
        "EnochRoot+af0cfe78+AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "name+0000000+AQ==",
    ];

    public static readonly FuzzTarget Note = new(
        "note", "SignedNote.Parse (text and bytes) and NoteOpener.Open: Format round trips, only documented exceptions",
        CheckNote, FuzzInput.AllBytes(NoteSeeds), FuzzInput.AllBytes(NoteTokens));

    public static readonly FuzzTarget CheckpointTarget = FuzzTarget.ForText(
        "checkpoint", "Checkpoint.Parse: accepted bodies are canonical, Parse(c.Format()) == c",
        CheckCheckpoint, CheckpointSeeds, CheckpointTokens);

    public static readonly FuzzTarget VkeyTarget = new(
        "vkey", "NoteVerifiers.FromVkey: verifier keys round trip; Verify never throws",
        CheckVkey, FuzzInput.AllBytes(VkeySeeds), FuzzInput.AllBytes(VkeyTokens));

    public static string CheckNote(byte[] data)
    {
        var text = FuzzInput.Text(data);
        var fromBytes = TryParse(() => SignedNote.Parse(data), out var bytesError);
        var fromText = TryParse(() => SignedNote.Parse(text), out var textError);
        if (fromBytes is not null)
        {
            // Valid UTF-8 decodes to the same string either way.
            Require(fromText is not null && Same(fromBytes, fromText), "the byte and string parsers disagree");
        }

        if (fromText is not null)
        {
            Require(fromText.Signatures.Count is >= 1 and <= NoteSyntax.MaxSignatures, $"{fromText.Signatures.Count} signatures");
            Require(fromText.Text.EndsWith('\n') && NoteSyntax.FindTextError(fromText.Text) is null, "note text is not well-formed");
            Require(fromText.Signatures.All(s => NoteSyntax.IsValidKeyName(s.Name) && s.Signature.Length > 0), "a signature has a bad name or is empty");
            var formatted = fromText.Format();
            var again = SignedNote.Parse(formatted);
            Require(Same(again, fromText) && again.Format() == formatted, "SignedNote.Parse(n.Format()) does not round trip");
            Require(!IsCanonicalBase64(text) || formatted == text, "a canonical note does not format as its input");
            TryParse(() => Checkpoint.Parse(fromText.Text), out _);
        }

        var outcome = Open(() => NoteOpener.Open(text, Trusted), fromText);
        Open(() => NoteOpener.Open(data, Trusted), fromBytes);
        return fromText is null ? FuzzInput.Shape(textError!.Message) : outcome;
    }

    public static string CheckCheckpoint(string body)
    {
        var checkpoint = TryParse(() => Checkpoint.Parse(body), out var error);
        if (checkpoint is null)
        {
            return FuzzInput.Shape(error!.Message);
        }

        Require(checkpoint.Origin.Length > 0 && !checkpoint.Origin.Contains('\n', StringComparison.Ordinal), "bad origin");
        Require(checkpoint.Size >= 0 && checkpoint.RootHash.Length == Checkpoint.RootHashSize, "bad size or root hash");
        Require(checkpoint.Extensions.All(e => e.Length > 0 && !e.Contains('\n', StringComparison.Ordinal)), "bad extension line");

        // The parser is strict so that one checkpoint has one spelling: the body must come back byte for byte.
        var formatted = checkpoint.Format();
        Require(formatted == body, "an accepted checkpoint does not format as its input");
        Require(Checkpoint.Parse(formatted).Equals(checkpoint), "Checkpoint.Parse(c.Format()) != c");
        return checkpoint.Extensions.Count == 0 ? "ok" : "ok with extensions";
    }

    public static string CheckVkey(byte[] data)
    {
        var vkey = FuzzInput.Text(data);
        var verifier = TryParse(() => NoteVerifiers.FromVkey(vkey), out var error);
        if (verifier is null)
        {
            return FuzzInput.Shape(error!.Message);
        }

        Require(NoteSyntax.IsValidKeyName(verifier.Name) && vkey.StartsWith(verifier.Name + "+", StringComparison.Ordinal), "verifier name is not the key string's");
        var again = NoteVerifiers.FromVkey(Vkey(verifier));
        Require(again.GetType() == verifier.GetType() && again.Name == verifier.Name && again.KeyId == verifier.KeyId, "vkey does not round trip");

        // Verification answers false for any signature bytes; it never throws.
        verifier.Verify("fuzz\n", data);
        verifier.Verify($"{verifier.Name}\n1\n{RootHash}\n", data.Length > 12 ? data[^12..] : data);
        return verifier.GetType().Name;
    }

    private static string Open(Func<VerifiedNote> open, SignedNote? parsed)
    {
        try
        {
            var verified = open();
            Require(parsed is not null && verified.Text == parsed.Text, "an opened note differs from the parsed one");
            Require(verified.VerifiedSignatures.Count > 0, "a note opened with no verified signature");
            Require(
                verified.VerifiedSignatures.All(s => parsed.Signatures.Contains(s) && Trusted.Any(t => t.Name == s.Name && t.KeyId == s.KeyId)),
                "a verified signature is not from a trusted key");
            return "verified";
        }
        catch (NoteVerificationException e)
        {
            Require((e.Reason == NoteVerificationReason.Malformed) == (parsed is null), $"{e.Reason} for a note that {(parsed is null ? "does not parse" : "parses")}");
            return e.Reason.ToString();
        }
    }

    /// <summary>Runs a parser whose only documented failure is <see cref="FormatException"/>.</summary>
    private static T? TryParse<T>(Func<T> parse, out FormatException? error)
        where T : class
    {
        try
        {
            error = null;
            return parse();
        }
        catch (FormatException e)
        {
            error = e;
            return null;
        }
    }

    private static bool Same(SignedNote a, SignedNote b) => a.Text == b.Text && a.Signatures.SequenceEqual(b.Signatures);

    // Base64 with nonzero unused bits decodes, but re-encodes to another spelling.
    private static bool IsCanonicalBase64(string note)
    {
        var split = note.LastIndexOf("\n\n", StringComparison.Ordinal);
        return split >= 0 && note[(split + 2)..].Split('\n').All(line =>
            line.LastIndexOf(' ') is var space and >= 0 && NoteSyntax.TryDecodeBase64(line[(space + 1)..], out var bytes)
                ? Convert.ToBase64String(bytes) == line[(space + 1)..]
                : line.Length == 0);
    }

    private static string Vkey(INoteVerifier verifier) => verifier switch
    {
        Ed25519NoteVerifier ed => ed.Vkey,
        EcdsaNoteVerifier ec => ec.Vkey,
        Rfc6962NoteVerifier ct => ct.Vkey,
        _ => throw new PropertyViolation($"unexpected verifier {verifier.GetType().Name}"),
    };

    private static EcdsaNoteSigner CreateEcdsaSigner()
    {
        var d = SHA256.HashData("tlogistry fuzz ecdsa key"u8);
        // The signer keeps the key for the life of the process.
        return new EcdsaNoteSigner(Origin, ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = d }));
    }
}
