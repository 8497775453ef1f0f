using System.Globalization;
using System.Text;

namespace Tlogistry.Transparency.Envelopes;

/// <summary>
/// DSSE pre-authentication encoding: what a DSSE signature actually covers. Signing the
/// PAE rather than the payload binds the payload type, so a signature over a sighting
/// cannot be replayed as a signature over some other document.
/// </summary>
internal static class Dsse
{
    public const string InTotoPayloadType = "application/vnd.in-toto+json";

    public static byte[] Pae(string payloadType, ReadOnlySpan<byte> payload)
    {
        var type = Encoding.UTF8.GetBytes(payloadType);
        var header = Encoding.UTF8.GetBytes(string.Create(
            CultureInfo.InvariantCulture,
            $"DSSEv1 {type.Length} {payloadType} {payload.Length} "));
        var pae = new byte[header.Length + payload.Length];
        header.CopyTo(pae, 0);
        payload.CopyTo(pae.AsSpan(header.Length));
        return pae;
    }
}
