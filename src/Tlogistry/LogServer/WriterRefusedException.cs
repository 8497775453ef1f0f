namespace Tlogistry.LogServer;

/// <summary>An entry signed by no allowed writer: answered 403 with Rekor's error body, nothing appended.</summary>
internal sealed class WriterRefusedException : Exception
{
    public WriterRefusedException(string message)
        : base(message)
    {
    }

    public WriterRefusedException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public WriterRefusedException()
    {
    }
}
