namespace Tlogistry.Ledger;

/// <summary>
/// The log or the index could not be reached or written: no pin can be checked or made.
/// Unlike <see cref="LedgerIntegrityException"/> this is an outage, not evidence of tampering.
/// </summary>
internal sealed class LedgerUnavailableException : Exception
{
    public LedgerUnavailableException(string message)
        : base(message)
    {
    }

    public LedgerUnavailableException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public LedgerUnavailableException()
    {
    }
}
