using System.Formats.Tar;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;

namespace Tlogistry.Tests.Support.Data;

/// <summary>
/// A stand-in for mcr.microsoft.com/dotnet/aspnet:10.0, made from this machine's own files
/// because the tests cannot reach that registry: the .NET and ASP.NET Core shared frameworks
/// the tests run on, the <c>dotnet</c> host, the shared libraries they load (glibc, libstdc++,
/// libgcc_s, OpenSSL 3, zlib), the CA bundle, and <c>/etc/passwd</c> with the non-root
/// <c>app</c> user (uid 1654) that the real images have. Its configuration copies theirs
/// (PATH, APP_UID, ASPNETCORE_HTTP_PORTS=8080, DOTNET_RUNNING_IN_CONTAINER): no shell, no
/// package manager, no USER, no VOLUME.
/// </summary>
internal static class RuntimeBaseImage
{
    public const int AppUid = 1654;

    private static readonly DateTimeOffset Epoch = new(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly string[] Libraries =
    [
        "libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0", "librt.so.1",
        "libgcc_s.so.1", "libstdc++.so.6", "libssl.so.3", "libcrypto.so.3", "libz.so.1",
    ];

    /// <summary>Writes the image into <paramref name="layout"/> under <paramref name="tag"/>.</summary>
    public static OciImage Add(OciImageBuilder layout, string tag, string scratchDirectory)
    {
        var (architecture, multiarch, loader) = RuntimeInformation.OSArchitecture switch
        {
            Architecture.X64 => ("amd64", "x86_64-linux-gnu", "/lib64/ld-linux-x86-64.so.2"),
            Architecture.Arm64 => ("arm64", "aarch64-linux-gnu", "/lib/ld-linux-aarch64.so.1"),
            var other => throw new PlatformNotSupportedException($"no base image recipe for {other}"),
        };

        // The running runtime: DOTNET_ROOT/shared/Microsoft.NETCore.App/<version>/.
        var netcore = new DirectoryInfo(Path.GetDirectoryName(typeof(object).Assembly.Location)!);
        var aspnetcore = new DirectoryInfo(Path.GetDirectoryName(typeof(Microsoft.AspNetCore.Builder.WebApplication).Assembly.Location)!);
        var dotnetRoot = netcore.Parent!.Parent!.Parent!;
        var hostfxr = new DirectoryInfo(Path.Combine(dotnetRoot.FullName, "host", "fxr"))
            .GetDirectories()
            .OrderBy(d => Version.TryParse(d.Name.Split('-')[0], out var v) ? v : new Version(0, 0))
            .Last();

        var tarPath = Path.Combine(scratchDirectory, $"rootfs-{Guid.NewGuid():N}.tar");
        using (var file = File.Create(tarPath))
        using (var tar = new TarWriter(file, TarEntryFormat.Pax, leaveOpen: false))
        {
            var w = new RootfsWriter(tar);
            w.Directory("etc");
            w.Text("etc/passwd", $"root:x:0:0:root:/root:/sbin/nologin\napp:x:{AppUid}:{AppUid}:app:/home/app:/sbin/nologin\n");
            w.Text("etc/group", $"root:x:0:\napp:x:{AppUid}:\n");
            w.Directory("etc/ssl/certs");
            w.File("etc/ssl/certs/ca-certificates.crt", "/etc/ssl/certs/ca-certificates.crt");
            w.Directory("usr/lib/ssl");
            w.Symlink("usr/lib/ssl/cert.pem", "/etc/ssl/certs/ca-certificates.crt");
            w.Directory("tmp", UnixFileMode.StickyBit | (UnixFileMode)0b111_111_111);
            w.Directory("home/app", uid: AppUid);
            w.Directory("root", (UnixFileMode)0b111_000_000);

            w.Directory($"lib/{multiarch}");
            foreach (var library in Libraries)
            {
                w.File($"lib/{multiarch}/{library}", $"/lib/{multiarch}/{library}");
            }

            w.Directory(Path.GetDirectoryName(loader)!.TrimStart('/'));
            w.File(loader.TrimStart('/'), loader);

            const string root = "usr/share/dotnet";
            w.Directory(root);
            w.File($"{root}/dotnet", Path.Combine(dotnetRoot.FullName, "dotnet"));
            w.Tree($"{root}/host/fxr/{hostfxr.Name}", hostfxr);
            w.Tree($"{root}/shared/Microsoft.NETCore.App/{netcore.Name}", netcore);
            w.Tree($"{root}/shared/Microsoft.AspNetCore.App/{aspnetcore.Name}", aspnetcore);
            w.Directory("usr/bin");
            w.Symlink("usr/bin/dotnet", "../share/dotnet/dotnet");
        }

        var config = new JsonObject
        {
            ["Env"] = new JsonArray(
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                $"APP_UID={AppUid}",
                "ASPNETCORE_HTTP_PORTS=8080",
                "DOTNET_RUNNING_IN_CONTAINER=true",
                $"DOTNET_VERSION={netcore.Name}",
                $"ASPNET_VERSION={aspnetcore.Name}"),
        };
        return layout.AddImageFromLayer(tag, tarPath, config, architecture);
    }

    /// <summary>Writes entries with parents first, each directory once, owned by root unless told.</summary>
    private sealed class RootfsWriter(TarWriter tar)
    {
        private const UnixFileMode DirectoryMode = (UnixFileMode)0b111_101_101;
        private readonly HashSet<string> _directories = new(StringComparer.Ordinal);

        public void Directory(string path, UnixFileMode mode = DirectoryMode, int uid = 0)
        {
            var parent = Path.GetDirectoryName(path);
            if (!string.IsNullOrEmpty(parent) && !_directories.Contains(parent))
            {
                Directory(parent);
            }

            if (_directories.Add(path))
            {
                tar.WriteEntry(new PaxTarEntry(TarEntryType.Directory, path + "/") { Mode = mode, Uid = uid, Gid = uid, ModificationTime = Epoch });
            }
        }

        /// <summary>A regular file with the content (and execute bits) of <paramref name="source"/>, symlinks followed.</summary>
        public void File(string path, string source)
        {
            var info = new FileInfo(source);
            var resolved = info.ResolveLinkTarget(returnFinalTarget: true) as FileInfo ?? info;
            var executable = (resolved.UnixFileMode & UnixFileMode.UserExecute) != 0;
            using var content = resolved.OpenRead();
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, path)
            {
                DataStream = content,
                Mode = executable ? (UnixFileMode)0b111_101_101 : (UnixFileMode)0b110_100_100,
                ModificationTime = Epoch,
            });
        }

        public void Text(string path, string content)
        {
            using var data = new MemoryStream(Encoding.UTF8.GetBytes(content));
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, path) { DataStream = data, Mode = (UnixFileMode)0b110_100_100, ModificationTime = Epoch });
        }

        public void Symlink(string path, string target) =>
            tar.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, path) { LinkName = target, Mode = (UnixFileMode)0b111_111_111, ModificationTime = Epoch });

        /// <summary>Everything under <paramref name="source"/>, as <paramref name="path"/>.</summary>
        public void Tree(string path, DirectoryInfo source)
        {
            Directory(path);
            foreach (var entry in source.EnumerateFileSystemInfos("*", SearchOption.TopDirectoryOnly).OrderBy(e => e.Name, StringComparer.Ordinal))
            {
                var target = $"{path}/{entry.Name}";
                if (entry is DirectoryInfo directory)
                {
                    Tree(target, directory);
                }
                else
                {
                    File(target, entry.FullName);
                }
            }
        }
    }
}
