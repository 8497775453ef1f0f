using System.Text;
using Tlogistry.Oci;
using Tlogistry.Transparency.Notes;
using Tlogistry.Transparency.Tiles;

namespace Tlogistry.Tests.Fuzz;

/// <summary>
/// The other side of the fuzz properties: values built from the grammar, rather than mutated
/// bytes, must format and parse back to themselves.
/// </summary>
public sealed class GeneratedRoundTripTests
{
    private const int Cases = 2_000;

    [Fact]
    public void ImageNamesReparseEqual()
    {
        var rng = new Random(1);
        for (var i = 0; i < Cases; i++)
        {
            var host = rng.Next(4) switch
            {
                0 => "docker.io",
                1 => $"{Label(rng)}.x{Label(rng)}",
                2 => $"localhost:{rng.Next(1, 65536)}",
                _ => $"[2001:db8::{rng.Next(1, 0x10000):x}]:{rng.Next(1, 65536)}",
            };
            var path = string.Join('/', Enumerable.Range(0, 1 + rng.Next(3)).Select(_ => Component(rng)));
            var input = $"{host}/{path}";
            if (input.Length > ImageNameParser.MaxNameLength)
            {
                continue;
            }

            Assert.True(ImageNameParser.TryParse(input, out var name, out var error), $"{input}: {error?.Message}");
            Assert.True(ImageNameParser.TryParse(name.ToString(), out var again, out _), name.ToString());
            Assert.Equal(name, again);
        }
    }

    [Fact]
    public void TilePathsParseBackToTheirTile()
    {
        var rng = new Random(2);
        for (var i = 0; i < Cases; i++)
        {
            var entries = rng.Next(2) == 0;
            var tile = new TileRef(entries ? 0 : rng.Next(TileMath.MaxLevel + 1), rng.NextInt64(0, long.MaxValue) >> rng.Next(64), 1 + rng.Next(TileMath.TileWidth), entries);
            Assert.True(TilePath.TryParse(tile.Path, out var parsed), tile.Path);
            Assert.Equal(tile, parsed);
        }
    }

    [Fact]
    public void CheckpointsAndSignedNotesRoundTrip()
    {
        var rng = new Random(3);
        for (var i = 0; i < Cases; i++)
        {
            var checkpoint = new Checkpoint(
                Line(rng),
                rng.NextInt64(0, long.MaxValue) >> rng.Next(64),
                RandomBytes(rng, Checkpoint.RootHashSize),
                [.. Enumerable.Range(0, rng.Next(3)).Select(_ => Line(rng))]);
            var body = checkpoint.Format();
            Assert.Equal(checkpoint, Checkpoint.Parse(body));

            var note = new SignedNote(
                body,
                [.. Enumerable.Range(0, 1 + rng.Next(3)).Select(_ => new NoteSignature(KeyName(rng), (uint)rng.NextInt64(0, 1L << 32), RandomBytes(rng, 1 + rng.Next(80))))]);
            var formatted = note.Format();
            var parsed = SignedNote.Parse(formatted);
            Assert.Equal(note.Text, parsed.Text);
            Assert.Equal(note.Signatures, parsed.Signatures);
            Assert.Equal(formatted, parsed.Format());
        }
    }

    private static string Label(Random rng) => Word(rng, "abcdefghijklmnopqrstuvwxyz0123456789", 1 + rng.Next(10));

    private static string Component(Random rng)
    {
        var sb = new StringBuilder(Label(rng));
        for (var parts = rng.Next(3); parts > 0; parts--)
        {
            sb.Append(new[] { ".", "_", "__", "-", "---" }[rng.Next(5)]).Append(Label(rng));
        }

        return sb.ToString();
    }

    // Any well-formed text without newlines or other controls, including non-ASCII.
    private static string Line(Random rng) => Word(rng, "abc XYZ09/.:+=-_\u00e9\u2014\u4e16", 1 + rng.Next(30)) + "\U0001F600";

    // Key names exclude spaces and '+'.
    private static string KeyName(Random rng) => Word(rng, "abcXYZ09/._-\u00e9\u4e16", 1 + rng.Next(20));

    private static string Word(Random rng, string alphabet, int length) =>
        string.Concat(Enumerable.Range(0, length).Select(_ => alphabet[rng.Next(alphabet.Length)]));

    private static byte[] RandomBytes(Random rng, int length)
    {
        var bytes = new byte[length];
        rng.NextBytes(bytes);
        return bytes;
    }
}
