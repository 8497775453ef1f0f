using System.Text;
using System.Text.Json;

namespace Tlogistry.Fuzzing;

/// <summary>
/// Extra seeds from the third-party vectors in <c>../shared/fixtures</c> (or
/// <c>$TLOGISTRY_FIXTURES</c>): signed notes, checkpoints, verifier keys, tile paths and a
/// real Tessera log's checkpoints and entry bundles. Empty when the folder is absent.
/// </summary>
internal static class FixtureSeeds
{
    // JSON property → target whose seeds its string values are.
    private static readonly Dictionary<string, string> Properties = new(StringComparer.Ordinal)
    {
        ["note_text"] = "note",
        ["signed_note"] = "note",
        ["expected_note"] = "note",
        ["body"] = "checkpoint",
        ["vkey"] = "vkey",
        ["vkeys"] = "vkey",
        ["path"] = "tile-path",
        ["partial_tile"] = "tile-path",
    };

    public static string? FindRoot()
    {
        var env = Environment.GetEnvironmentVariable("TLOGISTRY_FIXTURES");
        if (!string.IsNullOrEmpty(env) && Directory.Exists(env))
        {
            return env;
        }

        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "shared", "fixtures");
                if (Directory.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    public static Dictionary<string, List<byte[]>> Load(string? root = null)
    {
        var seeds = FuzzTargets.All.ToDictionary(t => t.Name, _ => new List<byte[]>());
        root ??= FindRoot();
        if (root is null)
        {
            return seeds;
        }

        foreach (var file in Directory.EnumerateFiles(root, "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            using var json = JsonDocument.Parse(File.ReadAllBytes(file));
            Collect(json.RootElement, null, seeds);
        }

        foreach (var log in Directory.EnumerateDirectories(root, "tessera-testdata-log", SearchOption.AllDirectories))
        {
            foreach (var file in Directory.EnumerateFiles(log, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                var relative = Path.GetRelativePath(log, file).Replace('\\', '/');
                var bytes = File.ReadAllBytes(file);
                if (relative.StartsWith("tile/", StringComparison.Ordinal))
                {
                    seeds["tile-path"].Add(Encoding.UTF8.GetBytes(relative));
                    if (relative.StartsWith("tile/entries/", StringComparison.Ordinal))
                    {
                        seeds["entry-bundle"].Add(bytes);
                    }
                }
                else if (relative.StartsWith("checkpoint", StringComparison.Ordinal))
                {
                    seeds["note"].Add(bytes);
                    var text = Encoding.UTF8.GetString(bytes);
                    var split = text.LastIndexOf("\n\n", StringComparison.Ordinal);
                    if (split >= 0)
                    {
                        seeds["checkpoint"].Add(Encoding.UTF8.GetBytes(text[..(split + 1)]));
                    }
                }
            }
        }

        return seeds;
    }

    private static void Collect(JsonElement element, string? property, Dictionary<string, List<byte[]>> seeds)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var child in element.EnumerateObject())
                {
                    Collect(child.Value, child.Name, seeds);
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    Collect(item, property, seeds);
                }

                break;
            case JsonValueKind.String when property is not null && Properties.TryGetValue(property, out var target):
                seeds[target].Add(FuzzInput.Bytes(element.GetString()!));
                break;
            default:
                break;
        }
    }
}
