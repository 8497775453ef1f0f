namespace Tlogistry.Registry.Tags;

/// <summary>
/// How pinned tags are answered without upstream: <paramref name="MaxBytes"/> bounds the held
/// manifests (0: none held), <paramref name="RevalidateAfter"/> is how long a confirmation
/// upstream stands (0: ask every time), and <paramref name="ServeOnUpstreamError"/> answers a
/// pinned tag from its held bytes, marked <c>Tlog-Stale</c>, when upstream fails to answer.
/// </summary>
internal sealed record HeldPinSettings(long MaxBytes, TimeSpan RevalidateAfter, bool ServeOnUpstreamError)
{
    public const long DefaultMaxBytes = 256L * 1024 * 1024;

    /// <summary>As before held manifests: upstream is asked every time, and its failure is the answer.</summary>
    public static readonly HeldPinSettings Off = new(0, TimeSpan.Zero, false);
}
