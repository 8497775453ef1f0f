using System.Net;
using System.Net.Sockets;

namespace Tlogistry.Upstream.Guard;

/// <summary>
/// Which addresses a proxy that fetches from any host named in a URL must not reach on its
/// own: loopback, private (RFC 1918, fc00::/7), link-local (169.254.0.0/16 with the cloud
/// metadata address, fe80::/10), multicast, unspecified, and the other special-purpose
/// ranges that never host a public registry. IPv6 is reachable only in global unicast
/// (2000::/3, less its special blocks) and in the well-known NAT64 prefix, where, as in 6to4
/// and IPv4-mapped addresses, the IPv4 address inside is what is judged.
/// </summary>
internal static class AddressPolicy
{
    /// <summary>Why an address is refused, or null when it may be reached.</summary>
    public static string? Refusal(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address))
        {
            return "loopback";
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            Span<byte> b = stackalloc byte[4];
            address.TryWriteBytes(b, out _);
            return b switch
            {
                [0, ..] => "unspecified (0.0.0.0/8)",
                [10, ..] => "private (10.0.0.0/8)",
                [100, >= 64 and <= 127, ..] => "shared address space (100.64.0.0/10)",
                [169, 254, ..] => "link-local (169.254.0.0/16, cloud metadata)",
                [172, >= 16 and <= 31, ..] => "private (172.16.0.0/12)",
                [192, 0, 0, _] => "IETF protocol assignments (192.0.0.0/24)",
                [192, 168, ..] => "private (192.168.0.0/16)",
                [198, 18 or 19, ..] => "benchmarking (198.18.0.0/15)",
                [>= 224 and <= 239, ..] => "multicast",
                [>= 240, ..] => "reserved (240.0.0.0/4, broadcast)",
                _ => null,
            };
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            if (address.Equals(IPAddress.IPv6Any))
            {
                return "unspecified (::)";
            }

            if (address.IsIPv6Multicast)
            {
                return "multicast";
            }

            if (address.IsIPv6LinkLocal)
            {
                return "link-local (fe80::/10)";
            }

            if (address.IsIPv6SiteLocal)
            {
                return "site-local (fec0::/10)";
            }

            if (address.IsIPv6UniqueLocal)
            {
                return "private (fc00::/7)";
            }

            Span<byte> b = stackalloc byte[16];
            address.TryWriteBytes(b, out _);

            // 64:ff9b::/96 (NAT64) and 2002::/16 (6to4) embed an IPv4 address: judge that one.
            if (b[..12].SequenceEqual(new byte[] { 0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0 }))
            {
                return Refusal(new IPAddress(b[12..]));
            }

            // Only global unicast (2000::/3) is the public internet. The rest holds the
            // IPv4-compatible (::a.b.c.d) and translated (::ffff:0:a.b.c.d) forms, local-use
            // NAT64 (64:ff9b:1::/48, any prefix length, so the IPv4 inside cannot be found) and
            // discard: blocks a translator or tunnel may deliver to an address that is refused.
            if ((b[0] & 0xe0) != 0x20)
            {
                return "not global unicast (outside 2000::/3)";
            }

            if (b[0] == 0x20 && b[1] == 0x02)
            {
                return Refusal(new IPAddress(b[2..6]));
            }

            return b switch
            {
                [0x20, 0x01, 0x0d, 0xb8, ..] => "documentation (2001:db8::/32)",
                [0x3f, 0xff, < 0x10, ..] => "documentation (3fff::/20)",
                [0x20, 0x01, 0, 0, ..] => "Teredo (2001::/32, an IPv4 address inside)",
                [0x20, 0x01, 0 or 1, ..] => "IETF protocol assignments (2001::/23)",
                _ => null,
            };
        }

        return "not an IP address";
    }
}
