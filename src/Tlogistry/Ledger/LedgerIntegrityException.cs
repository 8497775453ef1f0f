namespace Tlogistry.Ledger;

/// <summary>The ledger holds data that does not verify: it fails closed rather than guess.</summary>
internal sealed class LedgerIntegrityException : Exception
{
    public LedgerIntegrityException(string message)
        : base(message)
    {
    }

    public LedgerIntegrityException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public LedgerIntegrityException()
    {
    }
}
