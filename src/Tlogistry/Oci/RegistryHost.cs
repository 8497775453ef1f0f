using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Tlogistry.Oci;

/// <summary>
/// A registry's one name: the canonical <c>host[:port]</c> that pins, tag policies, allow and
/// deny lists, upstream mappings and the connect guard all key on. Only <see cref="TryParse"/>
/// makes one, so two spellings that reach the same endpoint cannot become two names:
/// <list type="bullet">
/// <item>domain names are lowercased; Docker Hub's aliases (<c>index.docker.io</c>,
/// <c>registry-1.docker.io</c>, on port 443) are <c>docker.io</c>;</item>
/// <item><c>:443</c>, the port a registry without a mapping is reached on, is dropped (unless
/// the host has no '.' and is not localhost, where the port is what makes it a host); any
/// other port is written without leading zeros and must be 1 to 65535;</item>
/// <item>an IP literal is accepted only in its canonical text (dotted decimal IPv4, RFC 5952
/// IPv6 in brackets); the other spellings of an address (<c>2130706433</c>, <c>0x7f.0.0.1</c>,
/// <c>127.1</c>, <c>127.0.0.01</c>, <c>[::ffff:127.0.0.1]</c>, <c>[0:0:0:0:0:0:0:1]</c>) and a
/// trailing dot are refused with the canonical form named, rather than folded, so that a client
/// learns the one name instead of relying on a second one.</item>
/// </list>
/// Pure: no I/O, no DNS. Names that resolve to the same address are a DNS matter, not a spelling.
/// </summary>
internal sealed partial record RegistryHost
{
    /// <summary>The port of https, which a registry without a mapping is reached on.</summary>
    public const int DefaultPort = 443;

    private const int MaxHostLength = 253;

    private RegistryHost(string host, int? port)
    {
        Host = host;
        Port = port;
        Value = port is { } p ? string.Create(CultureInfo.InvariantCulture, $"{host}:{p}") : host;
    }

    /// <summary>Docker Hub, canonically <c>docker.io</c>.</summary>
    public static RegistryHost DockerHub { get; } = new(ImageName.DockerHubRegistry, null);

    /// <summary>The host: a lowercase domain name, a dotted IPv4 address, or an IPv6 address in brackets.</summary>
    public string Host { get; }

    /// <summary>The port when it is written: not <see cref="DefaultPort"/>, except on a dotless host.</summary>
    public int? Port { get; }

    /// <summary><c>host[:port]</c>, the registry's name everywhere.</summary>
    public string Value { get; }

    public bool IsDockerHub => Value == ImageName.DockerHubRegistry;

    /// <summary>The authority registry API requests go to when no mapping names another.</summary>
    public string ApiAuthority => IsDockerHub ? ImageName.DockerHubApiHost : Value;

    public override string ToString() => Value;

    public bool Equals(RegistryHost? other) => other is not null && string.Equals(Value, other.Value, StringComparison.Ordinal);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Value);

    /// <summary>Parses a host the operator configured; a bad one throws <see cref="FormatException"/> naming <paramref name="setting"/>.</summary>
    public static RegistryHost Parse(string text, string setting) =>
        TryParse(text, out var host, out var error) ? host : throw new FormatException($"{setting}: {error}");

    /// <summary>
    /// Reads <c>host[:port]</c>. On failure <paramref name="error"/> says what is wrong, naming the
    /// canonical spelling when the input is another spelling of a valid host.
    /// </summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out RegistryHost? host, [NotNullWhen(false)] out string? error)
    {
        host = null;
        if (string.IsNullOrEmpty(text))
        {
            error = "the registry host is empty";
            return false;
        }

        // The longest host name and a port, or a full IPv6 address in brackets and a port.
        if (text.Length > MaxHostLength + 6)
        {
            error = $"registry host {Display.Quote(text)} is longer than {MaxHostLength} characters";
            return false;
        }

        var shown = Display.Quote(text);
        if (!SplitPort(text, out var hostText, out var portText, out error))
        {
            return false;
        }

        int? port = null;
        if (portText is not null)
        {
            if (!TryPort(portText, out var number))
            {
                error = $"registry host {shown}: the port must be a number from 1 to 65535 written without leading zeros";
                return false;
            }

            port = number;
        }

        string canonicalHost;
        if (hostText.StartsWith('['))
        {
            if (!TryIpv6(hostText, out canonicalHost!, out var why))
            {
                error = $"registry host {shown}: {why}";
                return false;
            }
        }
        else if (!TryNameOrIpv4(hostText, out canonicalHost!, out var why))
        {
            error = $"registry host {shown}: {why}";
            return false;
        }

        // :443 is dropped unless the host alone would read as a Docker Hub namespace (a:443/x is
        // host "a", a/x is not): then the port is part of the only spelling that reaches it.
        if (port == DefaultPort && ImageNameParser.NamesRegistry(canonicalHost))
        {
            port = null;
        }

        // Docker Hub's aliases are one registry on its port; on another port each is its own host.
        var candidate = port is null && (canonicalHost is ImageName.DockerHubRegistry or ImageName.DockerHubReferenceHost or ImageName.DockerHubApiHost)
            ? DockerHub
            : new RegistryHost(canonicalHost, port);

        // The endpoint the HTTP stack derives from this name must be the name itself, or two
        // names could reach one endpoint; anything it reads differently is refused.
        if (!SameEndpointAsUri(candidate))
        {
            error = $"registry host {shown} is not a canonical host name";
            return false;
        }

        host = candidate;
        error = null;
        return true;
    }

    /// <summary>Splits <c>host[:port]</c>; a bracketed IPv6 host keeps its brackets.</summary>
    private static bool SplitPort(string text, out string host, out string? port, [NotNullWhen(false)] out string? error)
    {
        host = text;
        port = null;
        error = null;
        var shown = Display.Quote(text);
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                error = $"registry host {shown} has an unterminated '[' (IPv6 addresses are written [address]:port)";
                return false;
            }

            host = text[..(close + 1)];
            var rest = text[(close + 1)..];
            if (rest.Length > 0 && rest[0] != ':')
            {
                error = $"registry host {shown}: only ':port' may follow a bracketed IPv6 address";
                return false;
            }

            port = rest.Length > 0 ? rest[1..] : null;
            return true;
        }

        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0 && text.IndexOf(':', colon + 1) >= 0)
        {
            error = $"registry host {shown} has more than one ':'; write IPv6 addresses in brackets, e.g. [::1]:5000";
            return false;
        }

        host = colon >= 0 ? text[..colon] : text;
        port = colon >= 0 ? text[(colon + 1)..] : null;
        return true;
    }

    private static bool TryPort(string text, out int port)
    {
        port = 0;
        if (text.Length is 0 or > 5 || text[0] == '0' || !text.All(char.IsAsciiDigit))
        {
            return false;
        }

        port = int.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture);
        return port <= 65535;
    }

    private static bool TryIpv6(string bracketed, [NotNullWhen(true)] out string? canonical, [NotNullWhen(false)] out string? why)
    {
        canonical = null;
        var inner = bracketed[1..^1];
        if (inner.Contains('%', StringComparison.Ordinal))
        {
            why = "IPv6 zone ids ('%') are not allowed in a registry host";
            return false;
        }

        if (!Ipv6Text().IsMatch(inner) || !IPAddress.TryParse(inner, out var address) || address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            why = $"{Display.Quote(inner)} is not an IPv6 address";
            return false;
        }

        if (EmbeddedIpv4(address) is { } v4)
        {
            why = $"this is the IPv4 address {v4} written as IPv6; write {v4}";
            return false;
        }

        var text = address.ToString();
        if (!string.Equals(inner, text, StringComparison.Ordinal))
        {
            why = $"write the IPv6 address in its canonical form [{text}] (lowercase, no leading zeros, longest zero run as '::')";
            return false;
        }

        canonical = "[" + text + "]";
        why = null;
        return true;
    }

    /// <summary>The IPv4 address an IPv4-mapped (::ffff:a.b.c.d) or IPv4-compatible (::a.b.c.d) address spells, else null.</summary>
    private static IPAddress? EmbeddedIpv4(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }

        Span<byte> b = stackalloc byte[16];
        address.TryWriteBytes(b, out _);

        // ::/96 other than :: and ::1 is the deprecated IPv4-compatible form.
        return b[..12].IndexOfAnyExcept((byte)0) < 0 && (b[12] | b[13] | b[14]) != 0
            ? new IPAddress(b[12..])
            : null;
    }

    private static bool TryNameOrIpv4(string text, [NotNullWhen(true)] out string? canonical, [NotNullWhen(false)] out string? why)
    {
        canonical = null;
        var lower = text.ToLowerInvariant();
        if (lower.EndsWith('.') && lower.Length > 1)
        {
            // Name the host without the dot only when that is itself a valid host.
            why = TryNameOrIpv4(lower.TrimEnd('.'), out var trimmed, out var trimmedWhy)
                ? $"a trailing '.' is another spelling of the host; write {trimmed}"
                : trimmedWhy;
            return false;
        }

        var labels = lower.Split('.');

        // As URL parsers do: a host whose last label is a number is an IPv4 address in one of
        // its many spellings (integer, octal, hex, short), never a domain name.
        if (IsNumericLabel(labels[^1]))
        {
            if (!Ipv4Spelling.TryRead(labels, out var address))
            {
                why = "this is neither a host name (its last label is a number) nor an IPv4 address";
                return false;
            }

            var dotted = address.ToString();
            if (!string.Equals(lower, dotted, StringComparison.Ordinal))
            {
                why = $"this is the IPv4 address {dotted} in another spelling; write {dotted}";
                return false;
            }

            canonical = dotted;
            why = null;
            return true;
        }

        if (lower.Length > MaxHostLength || !labels.All(l => DomainLabel().IsMatch(l)))
        {
            why = "not a valid host name: each dot-separated label is 1 to 63 letters, digits and '-', "
                + "and starts and ends with a letter or digit";
            return false;
        }

        canonical = lower;
        why = null;
        return true;
    }

    private static bool IsNumericLabel(string label) =>
        label.Length > 0 && (label.All(char.IsAsciiDigit) || (label.StartsWith("0x", StringComparison.Ordinal) && label[2..].All(char.IsAsciiHexDigit)));

    private static bool SameEndpointAsUri(RegistryHost host)
    {
        if (!Uri.TryCreate("https://" + host.Value + "/", UriKind.Absolute, out var uri))
        {
            return false;
        }

        var expectedType = host.Host.StartsWith('[') ? UriHostNameType.IPv6
            : IsNumericLabel(host.Host[(host.Host.LastIndexOf('.') + 1)..]) ? UriHostNameType.IPv4
            : UriHostNameType.Dns;
        return uri.HostNameType == expectedType
            && string.Equals(uri.Host, host.Host, StringComparison.Ordinal)
            && uri.Port == (host.Port ?? DefaultPort);
    }

    [GeneratedRegex(@"^(?:[a-z0-9]|[a-z0-9][a-z0-9-]{0,61}[a-z0-9])\z", RegexOptions.CultureInvariant)]
    private static partial Regex DomainLabel();

    [GeneratedRegex(@"^[a-fA-F0-9:.]+\z", RegexOptions.CultureInvariant)]
    private static partial Regex Ipv6Text();
}
