using System.Buffers.Binary;
using System.Formats.Tar;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Tlogistry.Tests.Support.Data;

/// <summary>A layer as written: <see cref="Digest"/>/<see cref="Size"/> of the blob, <see cref="DiffId"/> of the tar.</summary>
public sealed record OciLayer(string MediaType, string Digest, long Size, string DiffId);

/// <summary>One single-platform image in an OCI layout.</summary>
public sealed record OciImage(
    string Reference,
    string Architecture,
    string ManifestDigest,
    byte[] ManifestBytes,
    string ConfigDigest,
    byte[] ConfigBytes,
    IReadOnlyList<OciLayer> Layers);

/// <summary>A multi-platform image index in an OCI layout, with its per-platform images.</summary>
public sealed record OciImageIndex(string Reference, string IndexDigest, byte[] IndexBytes, IReadOnlyList<OciImage> Images);

/// <summary>
/// Writes images into an OCI image layout directory (oci-layout, index.json, blobs/sha256/)
/// that skopeo reads as <c>oci:DIR:TAG</c>. Output is deterministic: the same arguments give
/// the same digests, and a different <c>text</c> gives a different image.
/// </summary>
public sealed class OciImageBuilder
{
    public const string ManifestMediaType = "application/vnd.oci.image.manifest.v1+json";
    public const string IndexMediaType = "application/vnd.oci.image.index.v1+json";
    public const string ConfigMediaType = "application/vnd.oci.image.config.v1+json";
    public const string TarMediaType = "application/vnd.oci.image.layer.v1.tar";
    public const string TarGzipMediaType = "application/vnd.oci.image.layer.v1.tar+gzip";
    public const string TextLabel = "org.tlogistry.test.text";

    private static readonly DateTimeOffset Epoch = new(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);

    // index.json entries by tag, rewritten after every Add so the layout is always valid.
    private readonly SortedDictionary<string, JsonObject> _refs = new(StringComparer.Ordinal);

    public OciImageBuilder(string layoutDirectory)
    {
        LayoutDirectory = Path.GetFullPath(layoutDirectory);
        Directory.CreateDirectory(Path.Combine(LayoutDirectory, "blobs", "sha256"));
        File.WriteAllText(Path.Combine(LayoutDirectory, "oci-layout"), """{"imageLayoutVersion":"1.0.0"}""");
        WriteIndexJson();
    }

    public string LayoutDirectory { get; }

    /// <summary>
    /// Adds a linux image tagged <paramref name="tag"/> with a layer holding /hello.txt = <paramref name="text"/>
    /// (also set as label <see cref="TextLabel"/>), plus, when <paramref name="randomLayerBytes"/> &gt; 0,
    /// a layer holding /random.bin of that many pseudo-random bytes seeded by the text.
    /// Gzip layers survive <c>skopeo copy</c> to a registry unchanged; uncompressed ones need --preserve-digests.
    /// </summary>
    public OciImage AddImage(string tag, string text, long randomLayerBytes = 0, bool gzip = true, string architecture = "amd64")
    {
        var image = WriteImage(text, randomLayerBytes, gzip, architecture, Reference(tag));
        SetRef(tag, ManifestMediaType, image.ManifestDigest, image.ManifestBytes.Length);
        return image;
    }

    /// <summary>Adds an OCI image index for linux/amd64 and linux/arm64, each image distinct.</summary>
    public OciImageIndex AddIndex(string tag, string text, bool gzip = true)
    {
        var amd64 = WriteImage($"{text} (amd64)", 0, gzip, "amd64", Reference(tag));
        var arm64 = WriteImage($"{text} (arm64)", 0, gzip, "arm64", Reference(tag));
        var index = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = IndexMediaType,
            ["manifests"] = new JsonArray(
                PlatformDescriptor(amd64, "amd64", null),
                PlatformDescriptor(arm64, "arm64", "v8")),
        };
        var bytes = Encoding.UTF8.GetBytes(index.ToJsonString());
        var digest = WriteBlob(bytes);
        SetRef(tag, IndexMediaType, digest, bytes.Length);
        return new OciImageIndex(Reference(tag), digest, bytes, [amd64, arm64]);
    }

    /// <summary>
    /// Adds a single-layer image tagged <paramref name="tag"/> whose layer is the uncompressed tar
    /// at <paramref name="layerTar"/> (moved into the layout) and whose <c>config</c> section is
    /// <paramref name="containerConfig"/> (Env, User, Entrypoint, …). Push it with
    /// <c>--preserve-digests</c>, or skopeo compresses the layer on the way.
    /// </summary>
    public OciImage AddImageFromLayer(string tag, string layerTar, JsonObject containerConfig, string architecture)
    {
        string digest;
        using (var stream = File.OpenRead(layerTar))
        {
            digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(stream));
        }

        var size = new FileInfo(layerTar).Length;
        File.Move(layerTar, BlobPath(digest), overwrite: true);
        var layer = new OciLayer(TarMediaType, digest, size, digest);
        var image = WriteManifest(containerConfig, [layer], architecture, Reference(tag));
        SetRef(tag, ManifestMediaType, image.ManifestDigest, image.ManifestBytes.Length);
        return image;
    }

    /// <summary>The skopeo reference for a tag in this layout.</summary>
    public string Reference(string tag) => $"oci:{LayoutDirectory}:{tag}";

    public static string Sha256Digest(ReadOnlySpan<byte> bytes) =>
        "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));

    private OciImage WriteImage(string text, long randomLayerBytes, bool gzip, string architecture, string reference)
    {
        var layers = new List<OciLayer> { WriteLayer("hello.txt", Encoding.UTF8.GetBytes(text), gzip) };
        if (randomLayerBytes > 0)
        {
            layers.Add(WriteLayer("random.bin", PseudoRandom(text, randomLayerBytes), gzip));
        }

        return WriteManifest(new JsonObject { ["Labels"] = new JsonObject { [TextLabel] = text } }, layers, architecture, reference);
    }

    /// <summary>Writes the config (with <paramref name="containerConfig"/> as its <c>config</c> section) and the manifest over <paramref name="layers"/>.</summary>
    private OciImage WriteManifest(JsonObject containerConfig, IReadOnlyList<OciLayer> layers, string architecture, string reference)
    {
        var config = new JsonObject
        {
            ["created"] = Epoch.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
            ["architecture"] = architecture,
            ["os"] = "linux",
            ["config"] = containerConfig,
            ["rootfs"] = new JsonObject
            {
                ["type"] = "layers",
                ["diff_ids"] = new JsonArray([.. layers.Select(l => (JsonNode?)l.DiffId)]),
            },
        };
        var configBytes = Encoding.UTF8.GetBytes(config.ToJsonString());
        var configDigest = WriteBlob(configBytes);
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = ManifestMediaType,
            ["config"] = Descriptor(ConfigMediaType, configDigest, configBytes.Length),
            ["layers"] = new JsonArray([.. layers.Select(l => (JsonNode?)Descriptor(l.MediaType, l.Digest, l.Size))]),
        };
        var manifestBytes = Encoding.UTF8.GetBytes(manifest.ToJsonString());
        var manifestDigest = WriteBlob(manifestBytes);
        return new OciImage(reference, architecture, manifestDigest, manifestBytes, configDigest, configBytes, [.. layers]);
    }

    private OciLayer WriteLayer(string fileName, byte[] content, bool gzip)
    {
        var temp = Path.Combine(LayoutDirectory, "blobs", $".tmp-{Guid.NewGuid():N}");
        using var blobHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var tarHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long size;
        using (var file = File.Create(temp))
        {
            using (var blob = new HashingStream(file, blobHash))
            {
                using (var compressed = gzip ? new GZipStream(blob, CompressionLevel.Fastest, leaveOpen: true) : null)
                using (var tar = new HashingStream(compressed ?? (Stream)blob, tarHash))
                using (var writer = new TarWriter(tar, TarEntryFormat.Ustar, leaveOpen: true))
                {
                    // Ustar has no atime/ctime/PAX records, so the bytes depend only on these fields.
                    using var data = new MemoryStream(content, writable: false);
                    writer.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, fileName)
                    {
                        DataStream = data,
                        ModificationTime = Epoch,
                        Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                        Uid = 0,
                        Gid = 0,
                    });
                }

                size = blob.Length;
            }
        }

        var digest = "sha256:" + Convert.ToHexStringLower(blobHash.GetHashAndReset());
        var diffId = "sha256:" + Convert.ToHexStringLower(tarHash.GetHashAndReset());
        File.Move(temp, BlobPath(digest), overwrite: true);
        return new OciLayer(gzip ? TarGzipMediaType : TarMediaType, digest, size, diffId);
    }

    /// <summary>xorshift64* keyed by the text: incompressible, reproducible, and fast for tens of MiB.</summary>
    private static byte[] PseudoRandom(string seedText, long length)
    {
        var bytes = new byte[length];
        var state = BinaryPrimitives.ReadUInt64LittleEndian(SHA256.HashData(Encoding.UTF8.GetBytes(seedText))) | 1;
        var words = MemoryMarshal.Cast<byte, ulong>(bytes.AsSpan(0, (int)(length & ~7L)));
        for (var i = 0; i < words.Length; i++)
        {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            words[i] = state * 0x2545F4914F6CDD1DUL;
        }

        for (var i = length & ~7L; i < length; i++)
        {
            bytes[i] = (byte)(i * 31);
        }

        return bytes;
    }

    private string WriteBlob(byte[] bytes)
    {
        var digest = Sha256Digest(bytes);
        File.WriteAllBytes(BlobPath(digest), bytes);
        return digest;
    }

    private string BlobPath(string digest) => Path.Combine(LayoutDirectory, "blobs", "sha256", digest["sha256:".Length..]);

    private static JsonObject Descriptor(string mediaType, string digest, long size) => new()
    {
        ["mediaType"] = mediaType,
        ["digest"] = digest,
        ["size"] = size,
    };

    private static JsonObject PlatformDescriptor(OciImage image, string architecture, string? variant)
    {
        var platform = new JsonObject { ["architecture"] = architecture, ["os"] = "linux" };
        if (variant is not null)
        {
            platform["variant"] = variant;
        }

        var descriptor = Descriptor(ManifestMediaType, image.ManifestDigest, image.ManifestBytes.Length);
        descriptor["platform"] = platform;
        return descriptor;
    }

    private void SetRef(string tag, string mediaType, string digest, long size)
    {
        var entry = Descriptor(mediaType, digest, size);
        entry["annotations"] = new JsonObject { ["org.opencontainers.image.ref.name"] = tag };
        _refs[tag] = entry;
        WriteIndexJson();
    }

    private void WriteIndexJson()
    {
        var index = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = IndexMediaType,
            ["manifests"] = new JsonArray([.. _refs.Values.Select(e => (JsonNode?)e.DeepClone())]),
        };
        File.WriteAllText(Path.Combine(LayoutDirectory, "index.json"), index.ToJsonString());
    }

    /// <summary>A write-only pass-through that hashes and counts what goes to the inner stream.</summary>
    private sealed class HashingStream(Stream inner, IncrementalHash hash) : Stream
    {
        private long _length;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => _length;

        public override long Position
        {
            get => _length;
            set => throw new NotSupportedException();
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            hash.AppendData(buffer);
            inner.Write(buffer);
            _length += buffer.Length;
        }

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
