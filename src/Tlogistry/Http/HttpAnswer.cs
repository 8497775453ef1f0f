using System.Net;

namespace Tlogistry.Http;

/// <summary>A whole answer: status, the bounded body, and the headers the clients use.</summary>
internal sealed record HttpAnswer(HttpStatusCode Status, byte[] Body, Uri? Location, TimeSpan? RetryAfter)
{
    public bool IsSuccess => (int)Status is >= 200 and <= 299;

    /// <summary>5xx and 429: the service is (for now) unable to answer.</summary>
    public bool IsUnavailable => (int)Status >= 500 || Status == HttpStatusCode.TooManyRequests;

    /// <summary>A short, printable excerpt of the body for error messages.</summary>
    public string Excerpt()
    {
        var text = System.Text.Encoding.UTF8.GetString(Body, 0, Math.Min(Body.Length, 300));
        return new string([.. text.Select(c => char.IsControl(c) ? ' ' : c)]).Trim();
    }

    /// <summary>The excerpt after <c>": "</c>, or nothing when the body says nothing.</summary>
    public string Detail() => Excerpt() is { Length: > 0 } excerpt ? ": " + excerpt : "";
}
