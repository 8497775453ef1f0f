using System.Net;

namespace Tlogistry.Signing.Keyless;

/// <summary>A whole answer: status and the bounded body.</summary>
internal sealed record KeylessAnswer(HttpStatusCode Status, byte[] Body)
{
    public bool IsSuccess => (int)Status is >= 200 and <= 299;

    /// <summary>A short, printable excerpt of the body for error messages.</summary>
    public string Excerpt()
    {
        var text = System.Text.Encoding.UTF8.GetString(Body, 0, Math.Min(Body.Length, 300));
        return new string([.. text.Select(c => char.IsControl(c) ? ' ' : c)]).Trim();
    }
}

/// <summary>
/// The transport of the keyless parts (token endpoints, Fulcio): each attempt sends and reads
/// the whole body under one timeout, bodies are bounded, and transport failures, timeouts, 5xx
/// and 429 are retried a few times with doubling delays. Failures surface as
/// <see cref="HttpRequestException"/> or <see cref="TimeoutException"/> with the URL named, for
/// the caller to wrap in its own exception.
/// </summary>
internal static class KeylessHttp
{
    public static async Task<KeylessAnswer> SendAsync(
        HttpClient http,
        Func<HttpRequestMessage> build,
        KeylessHttpOptions options,
        CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxAttempts, 1);
        var delay = options.RetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            KeylessAnswer? answer = null;
            Exception? failure = null;
            using var request = build();
            try
            {
                answer = await AttemptAsync(http, request, options, cancellationToken);
            }
            catch (Exception e) when (e is HttpRequestException or IOException or TimeoutException)
            {
                failure = e;
            }

            var retryable = failure is not null || (int)answer!.Status >= 500 || answer.Status == HttpStatusCode.TooManyRequests;
            if (!retryable || attempt >= options.MaxAttempts)
            {
                return failure is null ? answer! : throw failure;
            }

            await Task.Delay(delay, cancellationToken);
            delay *= 2;
        }
    }

    private static async Task<KeylessAnswer> AttemptAsync(HttpClient http, HttpRequestMessage request, KeylessHttpOptions options, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.RequestTimeout);
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            if (response.Content.Headers.ContentLength is { } declared && declared > options.MaxResponseBytes)
            {
                throw new HttpRequestException($"answer from {request.RequestUri} is {declared} bytes, more than the {options.MaxResponseBytes} allowed");
            }

            await using var stream = await response.Content.ReadAsStreamAsync(timeout.Token);
            using var buffer = new MemoryStream();
            var chunk = new byte[16384];
            int read;
            while ((read = await stream.ReadAsync(chunk, timeout.Token)) > 0)
            {
                if (buffer.Length + read > options.MaxResponseBytes)
                {
                    throw new HttpRequestException($"answer from {request.RequestUri} exceeds the {options.MaxResponseBytes} bytes allowed");
                }

                buffer.Write(chunk, 0, read);
            }

            return new KeylessAnswer(response.StatusCode, buffer.ToArray());
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"{request.RequestUri} did not answer within {options.RequestTimeout.TotalSeconds:0.###} s", e);
        }
    }
}

/// <summary>Timeout, answer bound and retries for <see cref="KeylessHttp"/>.</summary>
internal sealed class KeylessHttpOptions
{
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    public int MaxResponseBytes { get; set; } = 256 * 1024;

    public int MaxAttempts { get; set; } = 3;

    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(250);
}
