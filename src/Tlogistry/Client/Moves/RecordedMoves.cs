using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Tlogistry.Client.Moves;

/// <summary>What <c>tlogistry moves</c> was asked.</summary>
/// <param name="Limit">The most rows to print (null: all of them).</param>
internal sealed record MovesRequest(Uri Proxy, string? Registry, string? Image, string? Since, bool Json, int? Limit, string? CaCert);

/// <summary>
/// <c>tlogistry moves</c>: a proxy's record of tags seen moved upstream, newest first, every page
/// followed, as a table or JSON lines. The rows are that proxy's observations, not signed: each
/// names the signed sighting (log entry) it contradicts, which <c>tlogistry verify</c> checks.
/// </summary>
internal static class RecordedMoves
{
    public const string Caution = "These are observations by the proxy, not signed claims; each names the signed pin (log entry) it contradicts: check that with tlogistry verify.";

    /// <summary>The most pages followed: a proxy whose pages never end is not followed for ever.</summary>
    public const int MaxPages = 10_000;

    /// <summary>
    /// The most rows a table holds: its columns are aligned over all rows, so they are kept until
    /// the end. JSON lines are written a page at a time and hold none.
    /// </summary>
    public const int MaxTableRows = 100_000;

    public static async Task<int> RunAsync(MovesRequest request, TextWriter output, TextWriter errors, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(errors);
        if (request.Limit is < 1)
        {
            throw new ClientException("--limit must be 1 or more");
        }

        using var proxy = new ProxyClient(request.Proxy, ServerCertificates.Load(request.CaCert));
        var rows = new List<MoveRow>();
        var count = 0;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (string? page = FirstPage(request); page is not null;)
        {
            if (!seen.Add(page) || seen.Count > MaxPages)
            {
                throw new ClientException($"the proxy at {proxy.BaseUrl} sent pages of moves that do not end (page {page} again, or more than {MaxPages})");
            }

            var (body, next) = await proxy.ListingPageAsync(page, Tlogistry.Registry.Tlog.MovesApi.Path, cancellationToken);
            var read = Read(body, proxy.BaseUrl);
            if (request.Limit is int limit && count + read.Count >= limit)
            {
                read.RemoveRange(limit - count, count + read.Count - limit);
                next = null;
            }

            count += read.Count;
            if (request.Json)
            {
                await output.WriteAsync(JsonLines(read));
            }
            else if (count > MaxTableRows)
            {
                throw new ClientException($"the proxy at {proxy.BaseUrl} lists more than {MaxTableRows} moves: ask for --json (written as it arrives) or a --limit");
            }
            else
            {
                rows.AddRange(read);
            }

            page = next;
        }

        if (!request.Json)
        {
            await output.WriteAsync(Table(rows));
        }

        await errors.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"tlogistry moves: {count} move(s) recorded by {proxy.BaseUrl}. {Caution}"));
        return 0;
    }

    /// <summary>The first page's path and query: the filters as given (the proxy checks them), and a page size.</summary>
    public static string FirstPage(MovesRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var parts = new List<string>();
        Add(parts, "registry", request.Registry);
        Add(parts, "image", request.Image);
        Add(parts, "since", request.Since);
        parts.Add("limit=" + Math.Min(request.Limit ?? Store.ITagMoves.MaxPage, Store.ITagMoves.MaxPage).ToString(CultureInfo.InvariantCulture));
        return Tlogistry.Registry.Tlog.MovesApi.Path + "?" + string.Join('&', parts);
    }

    public static string Table(IReadOnlyList<MoveRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        string[] header = ["LAST SEEN", "TAG", "PINNED", "UPSTREAM", "PIN ENTRY", "REFUSED", "SERVED PINNED", "FIRST SEEN"];
        var cells = rows.Select(r => new[]
        {
            MoveRow.Rfc3339(r.LastSeen), r.Tag.Canonical, r.Pinned.ToString(), r.Upstream.ToString(), r.PinLogIndex.ToString(CultureInfo.InvariantCulture),
            r.Refusals.ToString(CultureInfo.InvariantCulture), r.PinnedServes.ToString(CultureInfo.InvariantCulture), MoveRow.Rfc3339(r.FirstSeen),
        }).ToList();
        var widths = header.Select((h, i) => cells.Select(c => c[i].Length).Append(h.Length).Max()).ToArray();
        var sb = new StringBuilder();
        foreach (var line in cells.Prepend(header))
        {
            // The last column is not padded, so lines carry no trailing spaces.
            sb.AppendJoin("  ", line.Select((cell, i) => i == line.Length - 1 ? cell : cell.PadRight(widths[i]))).Append('\n');
        }

        return sb.ToString();
    }

    public static string JsonLines(IReadOnlyList<MoveRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var sb = new StringBuilder();
        foreach (var row in rows)
        {
            using var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer))
            {
                row.Write(w);
            }

            sb.Append(Encoding.UTF8.GetString(buffer.ToArray())).Append('\n');
        }

        return sb.ToString();
    }

    /// <summary>The rows of one page; anything else is the proxy's fault, said as such.</summary>
    private static List<MoveRow> Read(byte[] body, Uri proxy)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("moves", out var moves) && moves.ValueKind == JsonValueKind.Array
                ? [.. moves.EnumerateArray().Select(MoveRow.Read)]
                : throw new FormatException("no \"moves\" array");
        }
        catch (Exception e) when (e is JsonException or FormatException)
        {
            throw new ClientException($"the proxy at {proxy} sent a malformed list of moves: {e.Message}", e);
        }
    }

    private static void Add(List<string> parts, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            parts.Add(name + "=" + Uri.EscapeDataString(value));
        }
    }
}
