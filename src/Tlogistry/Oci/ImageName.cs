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

    /// <summary>Host name of Docker Hub in canonical references (<see cref="TagReference.Canonical"/>).</summary>
    public const string DockerHubReferenceHost = "index.docker.io";

    public bool IsDockerHub => Registry.IsDockerHub;

    /// <summary>
    /// <c>&lt;registry&gt;/&lt;repository&gt;</c> as canonical references spell it, Docker Hub as
    /// <c>index.docker.io</c> (e.g. <c>index.docker.io/library/alpine</c>): the part of a
    /// <see cref="TagReference"/> before its tag.
    /// </summary>
    public string Canonical => $"{(IsDockerHub ? DockerHubReferenceHost : Registry.Value)}/{Repository}";

    public override string ToString() => $"{Registry}/{Repository}";
}
