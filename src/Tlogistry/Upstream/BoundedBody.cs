namespace Tlogistry.Upstream;

/// <summary>Reads a response body up to a limit, so an upstream cannot make us buffer without bound.</summary>
internal static class BoundedBody
{
    /// <summary>The body, or null when it is longer than <paramref name="limit"/> bytes.</summary>
    /// <param name="declared">The Content-Length upstream declared, if any.</param>
    public static async Task<byte[]?> ReadAsync(Stream stream, long? declared, int limit, CancellationToken cancellationToken)
    {
        if (declared > limit)
        {
            return null;
        }

        if (declared is long length)
        {
            // The usual answer: read straight into an array of the declared size (HttpClient
            // ends the body there). A shorter body comes back short, for the caller to refuse.
            var exact = new byte[length];
            var filled = 0;
            int n;
            while (filled < exact.Length && (n = await stream.ReadAsync(exact.AsMemory(filled), cancellationToken)) > 0)
            {
                filled += n;
            }

            return filled == exact.Length ? exact : exact[..filled];
        }

        var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
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
