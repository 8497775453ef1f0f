namespace Tlogistry.Transparency.Witness;

/// <summary>
/// Two checkpoints signed by one log key that cannot both be true: the log showed different
/// histories to different readers (a fork) or went back on what it had signed (a rollback).
/// </summary>
internal sealed class LogConsistencyException : Exception
{
    public LogConsistencyException(string message)
        : base(message)
    {
    }

    public LogConsistencyException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public LogConsistencyException()
    {
    }
}
