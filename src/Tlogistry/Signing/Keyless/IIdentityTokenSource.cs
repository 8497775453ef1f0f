namespace Tlogistry.Signing.Keyless;

/// <summary>Where the OIDC identity token presented to Fulcio comes from.</summary>
internal interface IIdentityTokenSource
{
    /// <summary>A fresh token; sources fetch or read it on each call, since tokens expire.</summary>
    /// <exception cref="IdentityTokenException">No token could be obtained.</exception>
    Task<string> GetTokenAsync(CancellationToken cancellationToken);
}

/// <summary>An identity token could not be obtained; the message names the source and why.</summary>
internal sealed class IdentityTokenException : Exception
{
    public IdentityTokenException(string message)
        : base(message)
    {
    }

    public IdentityTokenException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
