namespace Tlogistry.Http;

/// <summary>
/// A request through <see cref="JsonHttp"/> failed for good: no answer in time, a network error,
/// an answer too large, or (from <see cref="JsonHttp.SendAsync"/>) a 5xx / 429 that outlasted the retries.
/// The message names the method, the URL and the last failure.
/// </summary>
internal sealed class HttpTransportException : Exception
{
    public HttpTransportException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
