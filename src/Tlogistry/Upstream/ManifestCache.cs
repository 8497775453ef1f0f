using Tlogistry.Caching;
using Tlogistry.Oci;
using Tlogistry.Telemetry;

namespace Tlogistry.Upstream;

/// <summary>A manifest whose bytes were hashed to <see cref="Digest"/>.</summary>
internal sealed record CachedManifest(byte[] Bytes, string MediaType, string Digest);

/// <summary>
/// Manifests by digest, held in memory: content under a digest never changes, so bytes read
/// and hashed once answer later requests for that digest without asking upstream. Entries are
/// per repository (upstream may answer one repository and not another) and the cache is
/// bounded by the bytes it holds, keys included: when full, the least recently used go first.
/// </summary>
internal sealed class ManifestCache : IDisposable
{
    private readonly ByteBoundedCache<string, CachedManifest>? _cache;
    private readonly TlogistryMetrics? _metrics;

    /// <param name="capacityBytes">Bytes of manifests to hold; 0 turns the cache off.</param>
    public ManifestCache(long capacityBytes, TlogistryMetrics? metrics = null)
    {
        _metrics = metrics;
        ArgumentOutOfRangeException.ThrowIfNegative(capacityBytes);
        CapacityBytes = capacityBytes;
        if (capacityBytes > 0)
        {
            _cache = new ByteBoundedCache<string, CachedManifest>(
                capacityBytes,
                static (key, m) => MemorySize.Of(key) + MemorySize.Object + MemorySize.Of(m.Bytes) + MemorySize.Of(m.MediaType) + MemorySize.Of(m.Digest),
                StringComparer.Ordinal);
        }
    }

    public long CapacityBytes { get; }

    public bool Enabled => _cache is not null;

    /// <summary>Bytes held now, keys included; at most <see cref="CapacityBytes"/>.</summary>
    public long HeldBytes => _cache?.HeldBytes ?? 0;

    public bool TryGet(ImageName name, string digest, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out CachedManifest? manifest)
    {
        manifest = null;
        if (_cache is null)
        {
            return false;
        }

        var hit = _cache.TryGet(Key(name, digest), out manifest);
        _metrics?.CacheLookup("manifest", hit);
        return hit;
    }

    /// <summary>Keeps a manifest whose bytes were read and hashed; a manifest with no bytes (a HEAD) is not kept.</summary>
    public void Add(ImageName name, UpstreamManifest manifest)
    {
        if (_cache is null || manifest.Bytes is null || manifest.Bytes.Length > CapacityBytes)
        {
            return;
        }

        var key = Key(name, manifest.Digest);
        if (_cache.TryGet(key, out _))
        {
            return;
        }

        _cache.Set(key, new CachedManifest(manifest.Bytes, manifest.MediaType, manifest.Digest));
    }

    /// <summary>Nothing to release: the cache holds managed memory only (kept disposable for its owners).</summary>
    public void Dispose()
    {
    }

    private static string Key(ImageName name, string digest) => name.Registry + "/" + name.Repository + "@" + digest;
}
