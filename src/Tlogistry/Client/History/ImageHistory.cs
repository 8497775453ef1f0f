using Tlogistry.Ledger;
using Tlogistry.Oci;
using Tlogistry.Store;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Client.History;

/// <summary>What <c>tlogistry history</c> was asked.</summary>
/// <param name="Image">NAME or NAME:TAG as typed.</param>
/// <param name="DataDir">Read this data directory's store instead of asking a proxy.</param>
/// <param name="Store">Read this store (<c>sqlite</c>: the data directory's, or <c>postgres=CONNECTION STRING</c>) instead of asking a proxy.</param>
internal sealed record HistoryRequest(string Image, Uri Proxy, string? DataDir, bool Json, TrustFlags Trust, string? Store = null);

/// <summary>
/// <c>tlogistry history IMAGE[:TAG]</c>: every recorded sighting of an image's tags (or one tag),
/// each bundle verified here with the service's own reader. The bundles come from the proxy's
/// <c>/tlog/bundles?image=</c> or straight from a data directory's store.
/// </summary>
internal static class ImageHistory
{
    /// <summary>Writes the rows; 0 when every sighting verifies, 1 when one does not (the table says which).</summary>
    public static async Task<int> RunAsync(HistoryRequest request, TextWriter output, TextWriter errors, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!ImageSelector.TryParse(request.Image, out var selector, out var error))
        {
            throw new ClientException(error.Message);
        }

        var (bundles, trust) = request.Store is { Length: > 0 } store && !store.Trim().Equals("sqlite", StringComparison.OrdinalIgnoreCase)
            ? (await FromStoreAsync(store, selector, cancellationToken), request.DataDir is { } keys ? ClientTrust.FromDataDir(request.Trust, keys) : ClientTrust.FromFlags(request.Trust))
            : request.DataDir is { } dataDir
            ? (await FromDataDirAsync(dataDir, selector, cancellationToken), ClientTrust.FromDataDir(request.Trust, dataDir))
            : await FromProxyAsync(request, selector, cancellationToken);
        var rows = bundles
            .Select(b => HistoryRow.Of(b, trust.Reader, selector))
            .OrderBy(r => r.Reference, StringComparer.Ordinal)
            .ThenBy(r => r.LogIndex)
            .ToList();
        await output.WriteAsync(request.Json ? HistoryOutput.Json(rows) : HistoryOutput.Table(rows));
        var failed = rows.Count(r => !r.Verified);
        if (failed > 0)
        {
            await errors.WriteLineAsync($"tlogistry history: {failed} of {rows.Count} sightings do not verify against {trust.Source}");
            return 1;
        }

        return 0;
    }

    private static async Task<(IReadOnlyList<SigstoreBundle>, ClientTrust)> FromProxyAsync(HistoryRequest request, ImageSelector selector, CancellationToken cancellationToken)
    {
        using var proxy = new ProxyClient(request.Proxy, request.Trust.LoadServerCertificates());
        IReadOnlyList<SigstoreBundle> bundles;
        try
        {
            bundles = await proxy.ImageBundlesAsync(selector.ToString(), cancellationToken);
        }
        catch (ClientException e) when (e.Status == System.Net.HttpStatusCode.NotFound)
        {
            throw new ClientException($"{selector} is unknown to {proxy.BaseUrl}: {e.Message}", e);
        }

        return (bundles, await ClientTrust.FromProxyAsync(request.Trust, proxy, cancellationToken));
    }

    /// <summary>The sightings a shared (PostgreSQL) store holds, as replicas write them.</summary>
    private static async Task<IReadOnlyList<SigstoreBundle>> FromStoreAsync(string text, ImageSelector selector, CancellationToken cancellationToken)
    {
        StoreChoice choice;
        try
        {
            choice = StoreChoice.Parse(text);
        }
        catch (FormatException e)
        {
            throw new ClientException(e.Message, e);
        }

        IReadOnlyList<Sighting> stored;
        var index = await OpenAsync(choice, cancellationToken);
        try
        {
            stored = await index.ListRepositoryAsync(selector.Name, cancellationToken);
        }
        catch (Exception e) when (e is System.Data.Common.DbException or IOException or FormatException)
        {
            throw new ClientException($"the sighting store {choice} cannot be read: {e.Message}", e);
        }
        finally
        {
            if (index is IAsyncDisposable disposable)
            {
                await disposable.DisposeAsync();
            }
        }

        var bundles = stored.Where(s => selector.Selects(s.Reference)).Select(s => s.Bundle).ToList();
        return bundles.Count > 0 ? bundles : throw new ClientException($"no sighting of {(selector.Tag is null ? "any tag of " : "")}{selector} is recorded in the store");
    }

    private static async Task<ISightingIndex> OpenAsync(StoreChoice choice, CancellationToken cancellationToken)
    {
        try
        {
            return await choice.OpenAsync("", TimeSpan.FromSeconds(30), logKeepsStatements: true, cancellationToken);
        }
        catch (Exception e) when (e is System.Data.Common.DbException or IOException or InvalidOperationException or InvalidDataException)
        {
            throw new ClientException($"the sighting store {choice} cannot be opened: {e.Message}", e);
        }
    }

    private static async Task<IReadOnlyList<SigstoreBundle>> FromDataDirAsync(string dataDir, ImageSelector selector, CancellationToken cancellationToken)
    {
        var path = Path.Combine(dataDir, "index.db");
        if (!File.Exists(path))
        {
            throw new ClientException($"{dataDir} holds no sighting store (index.db)");
        }

        IReadOnlyList<Sighting> stored;
        try
        {
            stored = await new SqliteSightingIndex(path).ListRepositoryAsync(selector.Name, cancellationToken);
        }
        catch (Exception e) when (e is System.Data.Common.DbException or IOException or FormatException)
        {
            throw new ClientException($"the sighting store {path} cannot be read: {e.Message}", e);
        }

        var bundles = stored.Where(s => selector.Selects(s.Reference)).Select(s => s.Bundle).ToList();
        return bundles.Count > 0 ? bundles : throw new ClientException($"no sighting of {(selector.Tag is null ? "any tag of " : "")}{selector} is recorded in {dataDir}");
    }
}
