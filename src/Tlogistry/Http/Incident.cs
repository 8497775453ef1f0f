using System.Security.Cryptography;

namespace Tlogistry.Http;

/// <summary>
/// A failure told to a client without its detail: what an exception says (an internal URL, a
/// SQL error, a file path) goes to the service log under a short random reference, and the
/// client gets a generic sentence naming that reference, so an operator can find the line.
/// </summary>
internal readonly record struct Incident(string Reference)
{
    public static Incident New() => new(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)));

    /// <summary>The client's sentence: <paramref name="what"/> and the reference.</summary>
    public string Tell(string what) => $"{what} (reference {Reference}; the detail is in the service log)";

    public override string ToString() => Reference;
}
