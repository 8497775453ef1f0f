using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Tlogistry.Transparency.Embedded;
using Tlogistry.Transparency.Merkle;
using Tlogistry.Transparency.Tiles;

namespace Tlogistry.Serving;

/// <summary>
/// The C2SP tlog-tiles read API straight from the log's files. A partial tile narrower
/// than the one on disk is answered with its prefix (the files hold only the newest
/// partial, older widths having been superseded), so every path any past checkpoint named
/// still resolves. Full tiles never change and are cached for a year. <c>log serve</c> serves
/// its log this way, and the proxy its embedded log, so verifiers and monitors read both alike.
/// </summary>
internal sealed class TileApi
{
    private readonly EmbeddedLog _log;
    private readonly TileStore _store;
    private readonly Func<HttpContext, int, string, Task> _error;

    /// <param name="error">Writes an error answer in the server's own format (status, message).</param>
    public TileApi(EmbeddedLog log, string logDirectory, Func<HttpContext, int, string, Task> error)
    {
        _log = log;
        _store = new TileStore(logDirectory);
        _error = error;
    }

    /// <summary>
    /// The path a tiles log is also served under: its origin, so that a trusted root's baseUrl
    /// (this path on the server's URL) names the origin its checkpoints are signed as, which is
    /// how Sigstore clients pair a checkpoint signature with a log.
    /// </summary>
    public static string OriginPath(string origin)
    {
        ArgumentNullException.ThrowIfNull(origin);
        return "/" + string.Join('/', origin.Split('/').Select(Uri.EscapeDataString));
    }

    /// <summary>Maps the read API at the server's root and under <see cref="OriginPath"/>, each handler through <paramref name="guard"/>.</summary>
    public void Map(IEndpointRouteBuilder app, Func<Func<HttpContext, Task>, RequestDelegate> guard)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(guard);
        foreach (var prefix in new[] { "", OriginPath(_log.Origin) })
        {
            app.MapGet(prefix + "/checkpoint", guard(CheckpointAsync));
            app.MapGet(prefix + "/tile/{**path}", guard(TileAsync));
            app.MapGet(prefix + "/envelopes/{name}", guard(c => EnvelopeAsync(c, c.GetRouteValue("name") as string ?? "")));
        }
    }

    public Task CheckpointAsync(HttpContext context)
    {
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.Headers.CacheControl = "no-cache";
        return context.Response.WriteAsync(_log.LatestCheckpoint.Note, context.RequestAborted);
    }

    /// <summary><c>GET envelopes/{name}</c>: the record of an envelope a dsse leaf only hashes, so a reader of the tiles rebuilds what the log holds.</summary>
    public Task EnvelopeAsync(HttpContext context, string name)
    {
        if (_log.Envelopes.ReadFile(name) is not { } record)
        {
            return _error(context, StatusCodes.Status404NotFound, "no such envelope record");
        }

        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "public, max-age=31536000, immutable";
        return context.Response.Body.WriteAsync(record, context.RequestAborted).AsTask();
    }

    public async Task TileAsync(HttpContext context)
    {
        if (!TilePath.TryParse("tile/" + context.GetRouteValue("path"), out var tile))
        {
            await _error(context, StatusCodes.Status404NotFound, "not a tile path");
            return;
        }

        // An append may delete the partial just read from; the next checkpoint names its successor.
        byte[]? data = null;
        for (var attempt = 0; attempt < 3 && data is null; attempt++)
        {
            try
            {
                data = Read(tile, _log.LatestCheckpoint.Checkpoint.Size);
                if (data.Length == 0)
                {
                    await _error(context, StatusCodes.Status404NotFound, $"{tile.Path} is beyond the log");
                    return;
                }
            }
            catch (Exception e) when (e is InvalidDataException or IOException)
            {
                data = null;
            }
        }

        if (data is null)
        {
            throw new InvalidOperationException($"tile {tile.Path} could not be read");
        }

        context.Response.ContentType = "application/octet-stream";
        context.Response.Headers.CacheControl = tile.IsFull ? "public, max-age=31536000, immutable" : "public, max-age=60";
        await context.Response.Body.WriteAsync(data, context.RequestAborted);
    }

    /// <summary>The tile's bytes for a log of <paramref name="size"/>, or empty when the log does not reach it.</summary>
    private byte[] Read(TileRef tile, long size)
    {
        var nodes = TileMath.NodeCount(size, tile.IsEntries ? 0 : tile.Level);
        var full = nodes / TileMath.TileWidth;
        int onDisk;
        if (tile.Index < full)
        {
            onDisk = TileMath.TileWidth;
        }
        else if (tile.Index == full && nodes % TileMath.TileWidth >= tile.Width && !tile.IsFull)
        {
            onDisk = (int)(nodes % TileMath.TileWidth);
        }
        else
        {
            return [];
        }

        if (tile.IsEntries)
        {
            var entries = _store.ReadEntryTile(tile.Index, onDisk);
            return EntryBundle.Encode([.. entries.Take(tile.Width)]);
        }

        return _store.ReadHashTile(tile.Level, tile.Index, onDisk)[..(tile.Width * Rfc6962.HashSize)];
    }
}
