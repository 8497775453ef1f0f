namespace Tlogistry.LogServer;

/// <summary>A proposed entry or query the log refuses; the message goes to the client as is.</summary>
internal sealed class BadEntryException : Exception
{
    public BadEntryException(string message)
        : base(message)
    {
    }

    public BadEntryException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public BadEntryException()
    {
    }
}
