namespace Tlogistry.Upstream.Auth;

/// <summary>
/// A <c>Bearer</c> challenge as used by the Docker registry token protocol: fetch a token from
/// <see cref="Realm"/>, passing <see cref="Service"/> and <see cref="Scope"/> when present.
/// <see cref="Scope"/> may hold several space-separated scopes.
/// </summary>
internal sealed record BearerChallenge(Uri Realm, string? Service, string? Scope);
