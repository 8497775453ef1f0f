namespace Tlogistry.Transparency;

/// <summary>Where an entry sits in a transparency log, as the log reported and proved it.</summary>
internal sealed record LogEntryRef(long Index, string Uuid, DateTimeOffset IntegratedTime);

/// <summary>An envelope read back from a log together with where it sits.</summary>
internal sealed record LoggedEnvelope(LogEntryRef Entry, byte[] Envelope);

/// <summary>
/// A transparency log holding sighting envelopes. Appends are durable when the returned
/// task completes; verification checks by proof, never by the log's word.
/// </summary>
internal interface ITransparencyLog
{
    /// <summary>A short description for the home page and start-up log, e.g. the origin line.</summary>
    string Description { get; }

    Task<LogEntryRef> AppendAsync(byte[] envelope, CancellationToken cancellationToken);

    /// <summary>Throws <see cref="LogVerificationException"/> unless the log provably holds this envelope at this entry.</summary>
    Task VerifyAsync(LogEntryRef entry, byte[] envelope, CancellationToken cancellationToken);

    /// <summary>Entries from <paramref name="startIndex"/> to the current size, for rebuilding an index.</summary>
    IAsyncEnumerable<LoggedEnvelope> ReadFromAsync(long startIndex, CancellationToken cancellationToken);
}

/// <summary>A log entry that does not verify: it must not be trusted for pinning.</summary>
internal sealed class LogVerificationException : Exception
{
    public LogVerificationException(string message)
        : base(message)
    {
    }

    public LogVerificationException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public LogVerificationException()
    {
    }
}
