using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Tests.Transparency.Sigstore;

/// <summary>Loads the real public-good Sigstore data in fixtures/sigstore.</summary>
internal static class SigstoreFixtures
{
    /// <summary>Rekor v2 entries state no time; verify them as of a moment inside the log key's window.</summary>
    public static readonly DateTimeOffset Now = new(2026, 1, 15, 0, 0, 0, TimeSpan.Zero);

    public static string Path(string file) => Fixtures.Require("sigstore", file);

    public static byte[] Bytes(string file) => File.ReadAllBytes(Path(file));

    public static SigstoreBundle Bundle(string name) => BundleJson.Read(Bytes(name + "-bundle.sigstore.json"));

    /// <summary>The normalized entry file (*-entry.json) with values computed from the source.</summary>
    public static JsonObject Entry(string name) => JsonNode.Parse(File.ReadAllText(Path(name + "-entry.json")))!.AsObject();

    /// <summary>
    /// A Rekor v1 entry kept flat, with its UUID as a <c>uuid</c> member, rewritten into the
    /// REST <c>LogEntry</c> shape <c>{"&lt;uuid&gt;": {...}}</c>.
    /// </summary>
    public static byte[] RestLogEntry(string file)
    {
        var flat = JsonNode.Parse(Bytes(file))!.AsObject();
        var uuid = (string)flat["uuid"]!;
        flat.Remove("uuid");
        return System.Text.Encoding.UTF8.GetBytes(new JsonObject { [uuid] = flat }.ToJsonString());
    }

    public static TrustedRoot Root() => TrustedRoot.Parse(Bytes("trusted_root.json"));

    /// <summary>The key a key-mode bundle is expected to be signed with, and otherwise any certificate.</summary>
    public static BundleSigner SignerFor(string name)
    {
        if (name != "rekor-v1-hashedrekord-pubkey")
        {
            return BundleSigner.AnyCertificate;
        }

        using var key = ECDsa.Create();
        key.ImportFromPem(File.ReadAllText(Path("rekor-v1-hashedrekord-pubkey-signer.pem")));
        return BundleSigner.Key(key.ExportSubjectPublicKeyInfo());
    }

    public static byte[] Flip(byte[] bytes, int index)
    {
        var copy = (byte[])bytes.Clone();
        copy[index] ^= 0x01;
        return copy;
    }
}
