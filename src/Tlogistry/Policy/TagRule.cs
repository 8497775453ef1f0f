namespace Tlogistry.Policy;

/// <summary>
/// How one tag of one registry is treated. A mutable tag is served as upstream has it now
/// and never pinned; <see cref="OnMismatch"/> applies to the others.
/// </summary>
internal readonly record struct TagRule(bool Mutable, MismatchPolicy OnMismatch);
