namespace Tlogistry.Http;

/// <summary>
/// A request through <see cref="JsonHttp"/> failed for good: no answer in time, a network error,
/// an answer too large, or a 5xx / 429 that outlasted the retries (then <see cref="Answer"/> holds it).
/// The message names the method, the URL and the last failure.
/// </summary>
internal sealed class HttpTransportException : Exception
{
    public HttpTransportException(string message, HttpAnswer? answer = null, Exception? inner = null)
        : base(message, inner)
    {
        Answer = answer;
    }

    /// <summary>The last answer when the service answered with 5xx or 429; null when it did not answer usably.</summary>
    public HttpAnswer? Answer { get; }
}
