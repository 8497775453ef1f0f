namespace Tlogistry.Client;

/// <summary>
/// A client command cannot do what it was asked (the proxy is unreachable, the image unknown,
/// a file unreadable): reported as one line, exit 1. Verification failures are reported the
/// same way, with the check that failed.
/// </summary>
internal sealed class ClientException : Exception
{
    public ClientException(string message)
        : base(message)
    {
    }

    public ClientException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public ClientException()
    {
    }

    /// <summary>The HTTP status a service answered with, when that is what failed.</summary>
    public System.Net.HttpStatusCode? Status { get; init; }
}
