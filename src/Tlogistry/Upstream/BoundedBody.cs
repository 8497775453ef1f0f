namespace Tlogistry.Upstream;

/// <summary>Reads a response body up to a limit, so an upstream cannot make us buffer without bound.</summary>
internal static class BoundedBody
{
    /// <summary>The body, or null when it is longer than <paramref name="limit"/> bytes.</summary>
    public static async Task<byte[]?> ReadAsync(HttpContent content, int limit, TimeSpan idleTimeout, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength is long declared && declared > limit)
        {
            return null;
        }

        await using var stream = new IdleTimeoutStream(await content.ReadAsStreamAsync(cancellationToken), idleTimeout);
        var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
