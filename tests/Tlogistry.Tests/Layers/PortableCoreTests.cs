namespace Tlogistry.Tests.Layers;

/// <summary>
/// The Sigstore and transparency-log formats (Merkle trees, tiles, signed notes, DSSE, bundles,
/// trusted roots, signer policies) use nothing of the service and nothing of the web stack: only
/// the base library and BouncyCastle's Ed25519. They stay in the service's assembly, and this
/// keeps them liftable into one of their own, usable by any .NET program.
/// </summary>
public sealed class PortableCoreTests(ITestOutputHelper output)
{
    private static readonly Lazy<TypeGraph> Service = new(() => TypeGraph.Read(typeof(Tlogistry.Oci.Digest).Assembly.Location));

    private static readonly string[] Core =
    [
        "Tlogistry.Transparency.Merkle",
        "Tlogistry.Transparency.Tiles",
        "Tlogistry.Transparency.Notes",
        "Tlogistry.Transparency.Envelopes",
        "Tlogistry.Transparency.Sigstore",
        "Tlogistry.Transparency.Sigstore.Identity",
    ];

    private static readonly string[] AllowedOutside = ["System", "Org.BouncyCastle"];

    [Fact]
    public void TheCoreUsesNoOtherNamespaceOfTheService()
    {
        var graph = Service.Value;
        var leaks = graph.Edges
            .Where(e => InCore(graph.NamespaceOf(e.From)) && LayerOrder.IsOwn(graph.NamespaceOf(e.To)) && !InCore(graph.NamespaceOf(e.To)))
            .Select(e => e.ToString())
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.True(leaks.Count == 0, "the portable core reaches into the service:\n" + string.Join('\n', leaks));
    }

    [Fact]
    public void TheCoreUsesOnlyTheBaseLibraryAndBouncyCastle()
    {
        var graph = Service.Value;
        var outside = graph.ExternalEdges
            .Where(e => InCore(graph.NamespaceOf(e.From)))
            .Select(e => Namespace(e.To))
            .Distinct()
            .Order(StringComparer.Ordinal)
            .ToList();
        output.WriteLine("outside namespaces the core uses: " + string.Join(", ", outside));

        Assert.NotEmpty(outside);
        var foreign = outside.Where(ns => !AllowedOutside.Any(a => ns == a || ns.StartsWith(a + ".", StringComparison.Ordinal))).ToList();
        Assert.True(foreign.Count == 0, "the portable core uses: " + string.Join(", ", foreign));
    }

    [Fact]
    public void EveryCoreNamespaceExists()
    {
        var namespaces = Service.Value.Types.Values.ToHashSet(StringComparer.Ordinal);
        Assert.All(Core, ns => Assert.Contains(ns, namespaces));
    }

    private static bool InCore(string ns) => Core.Contains(ns, StringComparer.Ordinal);

    private static string Namespace(string type) => type.LastIndexOf('.') is var i and > 0 ? type[..i] : "";
}
