using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;

namespace Tlogistry.Signing.Timestamps;

/// <summary>
/// Asks an RFC 3161 timestamp authority to date a signature over the Sigstore TSA API:
/// <c>POST /api/v1/timestamp</c> with a DER TimeStampReq (<c>application/timestamp-query</c>)
/// whose imprint is SHA-256 of the signature bytes, a fresh nonce and certReq set; the answer
/// is a DER TimeStampResp. The answer is bounded in size and time, and must be granted, for
/// this imprint and nonce; its trust (chain, window) is the caller's check.
/// </summary>
internal sealed class TimestampClient
{
    /// <summary>A TimeStampResp with a short chain is a few kilobytes.</summary>
    public const int MaxAnswerBytes = 64 << 10;

    public const string RequestMediaType = "application/timestamp-query";

    public const string ResponseMediaType = "application/timestamp-reply";

    private readonly HttpClient http;
    private readonly TimeSpan timeout;

    /// <param name="url">The authority's timestamp endpoint, e.g. https://timestamp.sigstore.dev/api/v1/timestamp.</param>
    public TimestampClient(Uri url, HttpClient http, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(http);
        Url = url;
        this.http = http;
        this.timeout = timeout ?? TimeSpan.FromSeconds(10);
    }

    public Uri Url { get; }

    /// <summary>The DER TimeStampResp dating <paramref name="signature"/>; throws <see cref="TimestampException"/> with the reason.</summary>
    public async Task<byte[]> StampAsync(byte[] signature, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(signature);
        var request = Rfc3161TimestampRequest.CreateFromData(signature, HashAlgorithmName.SHA256, nonce: RandomNumberGenerator.GetBytes(16), requestSignerCertificates: true);
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timer.CancelAfter(timeout);
        byte[] answer;
        try
        {
            using var content = new ByteArrayContent(request.Encode());
            content.Headers.ContentType = new MediaTypeHeaderValue(RequestMediaType);
            using var message = new HttpRequestMessage(HttpMethod.Post, Url) { Content = content };
            message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(ResponseMediaType));
            using var response = await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, timer.Token);
            if (!response.IsSuccessStatusCode)
            {
                throw new TimestampException($"{Url} answered {(int)response.StatusCode} {response.ReasonPhrase}");
            }

            answer = await ReadBoundedAsync(response.Content, timer.Token);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimestampException($"{Url} did not answer within {timeout.TotalSeconds:0.#} s", e);
        }
        catch (HttpRequestException e)
        {
            throw new TimestampException($"{Url} cannot be reached: {e.Message}", e);
        }

        try
        {
            // Checks the status, that the token is for this imprint and nonce, and that it names its signer.
            request.ProcessResponse(answer, out var used);
            if (used != answer.Length)
            {
                throw new TimestampException($"{Url} answered a timestamp response followed by {answer.Length - used} more bytes");
            }
        }
        catch (CryptographicException e)
        {
            throw new TimestampException($"{Url} answered no timestamp for this request: {e.Message}", e);
        }

        return answer;
    }

    private async Task<byte[]> ReadBoundedAsync(HttpContent content, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength is > MaxAnswerBytes)
        {
            throw new TimestampException($"{Url} answered {content.Headers.ContentLength} bytes, more than the {MaxAnswerBytes} a timestamp response may take");
        }

        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxAnswerBytes)
            {
                throw new TimestampException($"{Url} answered more than the {MaxAnswerBytes} bytes a timestamp response may take");
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
