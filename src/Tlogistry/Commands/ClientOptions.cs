using System.CommandLine;
using Tlogistry.Client;

namespace Tlogistry.Commands;

/// <summary>The flags of the commands that read what a proxy publishes: which proxy, and whom to trust.</summary>
internal sealed class ClientOptions
{
    private const string DefaultProxy = "http://127.0.0.1:8080";

    private readonly Option<string?> _root;
    private readonly Option<string[]> _keys = new("--key") { Description = "A PEM public key whose sightings count (key mode). Repeatable.", Arity = ArgumentArity.ZeroOrMore };
    private readonly Option<string?> _identity = new("--identity") { Description = "Keyless: the certificate identity (SAN e-mail or URI) whose sightings count." };
    private readonly Option<string?> _issuer = new("--issuer") { Description = "Keyless: the OIDC issuer the certificate must name." };
    private readonly Option<string?> _caCert = new("--ca-cert") { Description = "PEM file of certificate authorities to trust for HTTPS to the proxy and the log, in addition to the system's (e.g. a private CA)." };

    /// <param name="defaultRoot">What the command trusts without <c>--trusted-root</c>, for its help.</param>
    public ClientOptions(string defaultRoot)
    {
        _root = new Option<string?>("--trusted-root") { Description = $"Sigstore trusted_root.json naming the logs to trust (default: {defaultRoot})." };
    }

    public Option<string?> Proxy { get; } = new("--proxy") { Description = $"The tlogistry proxy (default {DefaultProxy})." };

    /// <summary>Adds the trust flags, after the command's own.</summary>
    public void AddTrustTo(Command command)
    {
        command.Options.Add(_root);
        command.Options.Add(_keys);
        command.Options.Add(_identity);
        command.Options.Add(_issuer);
        command.Options.Add(_caCert);
    }

    /// <summary>The proxy given, or the default.</summary>
    public Uri ProxyUrl(ParseResult parse) => ProxyClient.ParseUrl(parse.GetValue(Proxy) ?? DefaultProxy);

    public TrustFlags Trust(ParseResult parse) =>
        new(parse.GetValue(_root), parse.GetValue(_keys) ?? [], parse.GetValue(_identity), parse.GetValue(_issuer), parse.GetValue(_caCert));
}
