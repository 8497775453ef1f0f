namespace Tlogistry.Policy;

/// <summary>What a request for a pinned tag gets when upstream now serves another digest.</summary>
internal enum MismatchPolicy
{
    /// <summary>Refuse with 409 DENIED (the default): the build stops and someone looks.</summary>
    Fail,

    /// <summary>Serve the pinned manifest, read by digest and checked, with <c>Tlog-Mismatch</c>: builds stay reproducible.</summary>
    ServePinned,
}
