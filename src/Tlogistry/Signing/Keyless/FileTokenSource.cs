namespace Tlogistry.Signing.Keyless;

/// <summary>
/// A token kept in a file that something else refreshes, such as a Kubernetes projected
/// service-account token. Read on every call: it is small, and a kubelet rotates it in place.
/// </summary>
internal sealed class FileTokenSource(string path) : IIdentityTokenSource
{
    public string Path { get; } = path;

    public async Task<string> GetTokenAsync(CancellationToken cancellationToken)
    {
        string text;
        try
        {
            text = await File.ReadAllTextAsync(Path, cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IdentityTokenException($"cannot read identity token file {Path}: {e.Message}", e);
        }

        var token = text.Trim();
        return token.Length > 0 ? token : throw new IdentityTokenException($"identity token file {Path} is empty");
    }
}
