namespace Tlogistry.Oci;

/// <summary>
/// A repository on a registry, in canonical form: <see cref="Registry"/> is the registry's one
/// name (<see cref="RegistryHost"/>), Docker Hub being <c>docker.io</c>; <see cref="Repository"/>
/// is the repository path, with Docker Hub's implicit <c>library/</c> made explicit.
/// Produced by <see cref="ImageNameParser"/>.
/// </summary>
internal sealed record ImageName(RegistryHost Registry, string Repository)
{
    /// <summary>Canonical registry name of Docker Hub.</summary>
    public const string DockerHubRegistry = "docker.io";

    /// <summary>Host that serves Docker Hub's registry API.</summary>
    public const string DockerHubApiHost = "registry-1.docker.io";

    /// <summary>Host name of Docker Hub in <see cref="ImageReference.Canonical"/>.</summary>
    public const string DockerHubReferenceHost = "index.docker.io";

    public bool IsDockerHub => Registry.IsDockerHub;

    public override string ToString() => $"{Registry}/{Repository}";
}
