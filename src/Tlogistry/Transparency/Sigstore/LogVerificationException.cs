namespace Tlogistry.Transparency.Sigstore;

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
