using Microsoft.Extensions.Logging;
using Tlogistry.Telemetry;

namespace Tlogistry.Signing.Keyless;

/// <summary>
/// A token kept in a file that something else refreshes, such as a Kubernetes projected
/// service-account token. Read on every call: it is small, and a kubelet rotates it in place.
/// A file other users may read is used, but warned about once: anyone who can read it can
/// get certificates as this instance while the token lasts.
/// </summary>
internal sealed partial class FileTokenSource(string path, ILogger? logger = null) : IIdentityTokenSource
{
    private int _warned;

    public string Path { get; } = path;

    /// <summary>Why a file with <paramref name="mode"/> exposes its token, or null when only its owner and group may read it.</summary>
    public static string? Exposure(UnixFileMode mode) =>
        (mode & (UnixFileMode.OtherRead | UnixFileMode.OtherWrite)) != 0
            ? "other users may read or replace it; make it readable by this service only (chmod o-rwx)"
            : null;

    public async Task<string> GetTokenAsync(CancellationToken cancellationToken)
    {
        string text;
        try
        {
            if (logger is not null && !OperatingSystem.IsWindows() && Exposure(File.GetUnixFileMode(Path)) is { } exposure && Interlocked.Exchange(ref _warned, 1) == 0)
            {
                Log.Exposed(logger, Path, exposure);
            }

            text = await File.ReadAllTextAsync(Path, cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IdentityTokenException($"cannot read identity token file {Path}: {e.Message}", e);
        }

        var token = text.Trim();
        return token.Length > 0 ? token : throw new IdentityTokenException($"identity token file {Path} is empty");
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.Signing.TokenFileExposed, Level = LogLevel.Warning, Message = "identity token file {Path}: {Exposure}")]
        public static partial void Exposed(ILogger logger, string path, string exposure);
    }
}
