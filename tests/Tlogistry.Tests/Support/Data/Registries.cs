using Tlogistry.Oci;

namespace Tlogistry.Tests.Support.Data;

/// <summary>Registry names written in tests, read by the one parser the proxy uses.</summary>
internal static class Registries
{
    public static RegistryHost Named(string text) => RegistryHost.Parse(text, "test");
}
