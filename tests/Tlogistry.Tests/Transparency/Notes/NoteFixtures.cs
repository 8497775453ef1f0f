using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Tlogistry.Transparency.Notes;

namespace Tlogistry.Tests.Transparency.Notes;

/// <summary>Reads the JSON vectors in fixtures/note and maps them onto the notes API.</summary>
internal static class NoteFixtures
{
    public const string Ed25519Notes = "signed-notes-ed25519.json";
    public const string OtherAlgorithmNotes = "signed-notes-other-algorithms.json";
    public const string Keys = "keys-and-signing.json";
    public const string Checkpoints = "checkpoints.json";

    private static readonly ConcurrentDictionary<string, JsonObject> Cache = new();

    /// <summary>Loads a fixture file, skipping the test when fixtures are absent.</summary>
    public static JsonObject Load(string file) =>
        Cache.GetOrAdd(file, f => JsonNode.Parse(File.ReadAllText(Fixtures.Require("note", f)))!.AsObject());

    /// <summary>
    /// Row ids for a theory. Empty when the fixtures are absent, so the theory is skipped
    /// (SkipTestWithoutData) rather than failing.
    /// </summary>
    public static TheoryData<string> Ids(string file, string array = "vectors")
    {
        var data = new TheoryData<string>();
        if (Fixtures.Root is { } root && File.Exists(Path.Combine(root, "note", file)))
        {
            foreach (var item in Load(file)[array]!.AsArray())
            {
                data.Add((string)item!["id"]!);
            }
        }

        return data;
    }

    public static JsonObject Vector(string file, string id, string array = "vectors") =>
        Load(file)[array]!.AsArray().Single(v => (string)v!["id"]! == id)!.AsObject();

    public static List<INoteVerifier> Verifiers(JsonObject vector) =>
        vector["vkeys"]!.AsArray().Select(k => NoteVerifiers.FromVkey((string)k!)).ToList();

    public static List<string>? Strings(JsonNode? node) =>
        node is JsonArray array ? array.Select(s => (string)s!).ToList() : null;

    public static NoteVerificationReason Reason(string error) => error switch
    {
        "malformed" => NoteVerificationReason.Malformed,
        "unverified" => NoteVerificationReason.Unverified,
        "invalid-signature" => NoteVerificationReason.InvalidSignature,
        "ambiguous" => NoteVerificationReason.Ambiguous,
        _ => throw new ArgumentOutOfRangeException(nameof(error), error, "unknown error class in fixture"),
    };
}
