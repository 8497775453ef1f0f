namespace Tlogistry.Fuzzing;

/// <summary>Every fuzz target, by name.</summary>
internal static class FuzzTargets
{
    public static IReadOnlyList<FuzzTarget> All { get; } =
    [
        OciTargets.Name,
        OciTargets.Route,
        OciTargets.Mirror,
        OciTargets.DigestAndTag,
        RegistryTargets.RegistryHostTarget,
        AuthTargets.WwwAuthenticateTarget,
        NoteTargets.Note,
        NoteTargets.CheckpointTarget,
        NoteTargets.VkeyTarget,
        TileTargets.TilePathTarget,
        TileTargets.EntryBundleTarget,
    ];

    public static FuzzTarget? Find(string name) => All.FirstOrDefault(t => t.Name == name);
}
