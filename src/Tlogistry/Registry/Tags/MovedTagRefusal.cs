using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Tlogistry.Oci;
using Tlogistry.Store;

namespace Tlogistry.Registry.Tags;

/// <summary>
/// The answer to a pull of a tag that moved away from its pin: its status, code and wording, in
/// this one place. Runtimes show different parts of it: podman and skopeo print the OCI error's
/// message; containerd resolves with HEAD and prints only the status line, so over HTTP/1.1 the
/// same sentence is the reason phrase (<c>409 tag "…" moved: …</c>). Kubernetes events repeat
/// the runtime's text. The sentence names the tag, both digests and the log entry of the pin.
/// </summary>
internal static class MovedTagRefusal
{
    /// <summary>
    /// 409: the tag's upstream state conflicts with its pin, a status no malformed request and no
    /// other refusal answers with. 4xx, so podman, skopeo, crane and containerd print the body's
    /// message; DENIED, the spec's code for a refusal, because containers/image and
    /// go-containerregistry do not retry it (a TAG_INVALID or an unknown code is retried, and a
    /// moved tag does not come back by asking again).
    /// </summary>
    public const int Status = 409;

    /// <inheritdoc cref="Status"/>
    public const string Code = OciErrorCodes.Denied;

    /// <summary>The OCI error: the sentence, and the pin's log entry as detail for tools.</summary>
    public static OciError Error(string reference, string upstreamDigest, Sighting pin) =>
        new(
            Code,
            Sentence(reference, upstreamDigest, pin),
            new Dictionary<string, object> { ["logIndex"] = pin.LogIndex, ["uuid"] = pin.Uuid });

    /// <summary>What a person reading a failed pull needs: which tag, what upstream serves now, what was pinned, and where that is recorded.</summary>
    public static string Sentence(string reference, string upstreamDigest, Sighting pin) =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"tag \"{reference}\" moved: upstream now serves \"{upstreamDigest}\", but it was pinned to \"{pin.Digest}\" by log entry {pin.LogIndex} (uuid {pin.Uuid}); refused: digest mismatch");

    public static Task WriteAsync(HttpContext context, string reference, string upstreamDigest, Sighting pin, CancellationToken ct)
    {
        var sentence = Sentence(reference, upstreamDigest, pin);
        if (context.Features.Get<IHttpResponseFeature>() is { } response && !context.Response.HasStarted && IsPrintableAscii(sentence))
        {
            response.ReasonPhrase = sentence;
        }

        return OciResponses.WriteErrorAsync(context, Status, Error(reference, upstreamDigest, pin), RequestOutcome.Mismatch, ct);
    }

    // A reason phrase is one line of visible ASCII; references and digests are, but this is not left to chance.
    private static bool IsPrintableAscii(string s) => s.All(c => c is >= ' ' and <= '~');
}
