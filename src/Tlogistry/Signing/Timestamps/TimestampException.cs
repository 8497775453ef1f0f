namespace Tlogistry.Signing.Timestamps;

/// <summary>A timestamp authority could not be asked, or answered with something that does not date the signature.</summary>
internal sealed class TimestampException : Exception
{
    public TimestampException()
    {
    }

    public TimestampException(string message)
        : base(message)
    {
    }

    public TimestampException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
