namespace Tlogistry.Client.Audit;

/// <summary>What a <see cref="LogFinding"/> found wrong with the log itself.</summary>
internal enum LogFindingKind
{
    /// <summary>An entry the log served whose evidence (SET, inclusion proof, checkpoint, key) does not verify.</summary>
    UnverifiedEntry,

    /// <summary>A published bundle of the scanned log whose entry the scan did not meet.</summary>
    NotInLog,

    /// <summary>A published bundle whose checkpoint the log's current tree does not extend.</summary>
    Inconsistent,
}

/// <summary>
/// A finding about the log rather than about the sightings: evidence that does not verify is
/// never "someone else's entry", and a published bundle must be in the log that was scanned.
/// </summary>
internal sealed record LogFinding(LogFindingKind Kind, long LogIndex, string Uuid, string Detail)
{
    public string Label => Kind switch
    {
        LogFindingKind.UnverifiedEntry => "unverified entry",
        LogFindingKind.NotInLog => "not in log",
        _ => "inconsistent",
    };
}
