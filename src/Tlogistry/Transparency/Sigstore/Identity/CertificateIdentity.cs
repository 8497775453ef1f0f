namespace Tlogistry.Transparency.Sigstore.Identity;

/// <summary>The two kinds of subject alternative name Fulcio puts in a leaf for the identities this service signs as.</summary>
internal enum SanKind
{
    /// <summary>rfc822Name: e-mail issuers (Google accounts and service accounts, GitHub and GitLab OAuth, …).</summary>
    Email,

    /// <summary>uniformResourceIdentifier: CI workflows (GitHub Actions, GitLab CI, Buildkite), Kubernetes and SPIFFE workloads, URI issuers.</summary>
    Uri,
}

/// <summary>
/// A certificate identity typed as Fulcio types it: the kind of the leaf's single SAN and its exact
/// value. A configured identity takes its kind from its own syntax (<see cref="Parse"/>): a value
/// that opens with a URI scheme (<c>https:</c>, <c>spiffe:</c>) is a URI, anything else an e-mail.
/// Every CI workflow SAN holds an <c>@</c> (<c>…/ci.yml@refs/heads/main</c>), so the <c>@</c>
/// says nothing; an e-mail address cannot open with <c>scheme:</c>, so the scheme does.
/// </summary>
internal sealed record CertificateIdentity(SanKind Kind, string Value)
{
    /// <summary>The kind as <see cref="SignerIdentity"/> writes it: <c>email</c> or <c>uri</c>.</summary>
    public string Label => Kind == SanKind.Email ? "email" : "uri";

    /// <summary>Types a configured identity; throws <see cref="FormatException"/> when it is neither an e-mail address nor an absolute URI.</summary>
    public static CertificateIdentity Parse(string configured)
    {
        ArgumentNullException.ThrowIfNull(configured);
        var value = configured.Trim();
        if (HasScheme(value))
        {
            return Uri.TryCreate(value, UriKind.Absolute, out _)
                ? new CertificateIdentity(SanKind.Uri, value)
                : throw new FormatException($"identity \"{value}\" opens with a URI scheme but is not an absolute URI");
        }

        var at = value.LastIndexOf('@');
        return at > 0 && at < value.Length - 1 && !value.Any(char.IsWhiteSpace)
            ? new CertificateIdentity(SanKind.Email, value)
            : throw new FormatException($"identity \"{value}\" is neither an e-mail address nor an absolute URI (scheme:…)");
    }

    public override string ToString() => Label + ":" + Value;

    /// <summary>RFC 3986: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), then ":".</summary>
    private static bool HasScheme(string value)
    {
        var colon = value.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || !char.IsAsciiLetter(value[0]))
        {
            return false;
        }

        for (var i = 1; i < colon; i++)
        {
            var c = value[i];
            if (!char.IsAsciiLetterOrDigit(c) && c != '+' && c != '-' && c != '.')
            {
                return false;
            }
        }

        return true;
    }
}
