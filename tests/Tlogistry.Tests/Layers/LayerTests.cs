using System.Globalization;
using System.Text;

namespace Tlogistry.Tests.Layers;

/// <summary>The compiled service keeps to <see cref="LayerOrder"/>.</summary>
public sealed class LayerTests(ITestOutputHelper output)
{
    private static readonly Lazy<TypeGraph> Service = new(() => TypeGraph.Read(typeof(Tlogistry.Oci.Digest).Assembly.Location));

    [Fact]
    public void EveryReferencePointsDown()
    {
        var graph = Service.Value;
        var violations = LayerOrder.Violations(graph.Edges, graph.NamespaceOf, LayerOrder.Namespaces);
        output.WriteLine(Table(graph));
        Assert.True(violations.Count == 0, "references against the layer order:\n" + string.Join('\n', violations));
    }

    [Fact]
    public void EveryNamespaceIsPlaced()
    {
        var graph = Service.Value;
        Assert.Empty(LayerOrder.Unplaced(graph.Types.Values, LayerOrder.Namespaces));

        // And the order names no namespace that has gone.
        Assert.Empty(LayerOrder.Namespaces.Except(graph.Types.Values));
    }

    [Fact]
    public void AnEdgeAgainstTheOrderIsReported()
    {
        string[] order = ["Tlogistry.Low", "Tlogistry.Mid", "Tlogistry.High"];
        TypeEdge[] edges =
        [
            new("Tlogistry.High.Top", "Tlogistry.Low.Bottom"),
            new("Tlogistry.Mid.Middle", "Tlogistry.Mid.Other"),
            new("Tlogistry.Low.Bottom", "Tlogistry.High.Top"),
            new("Tlogistry.Low.Bottom", "Tlogistry.Mid.Middle"),
        ];

        var violations = LayerOrder.Violations(edges, NamespaceOf, order);

        Assert.Equal(["Tlogistry.Low.Bottom → Tlogistry.High.Top", "Tlogistry.Low.Bottom → Tlogistry.Mid.Middle"], violations);
    }

    [Fact]
    public void ANamespaceOutsideTheOrderIsReported()
    {
        string[] order = ["Tlogistry.Low", "Tlogistry.High"];

        var unplaced = LayerOrder.Unplaced(["Tlogistry.Low", "Tlogistry.New", "Tlogistry.High", "System.Text.RegularExpressions.Generated", ""], order);

        Assert.Equal(["Tlogistry.New"], unplaced);
    }

    private static string NamespaceOf(string type) => type[..type.LastIndexOf('.')];

    /// <summary>Each namespace from the bottom: its types, the types it uses below it, and the uses it receives from above.</summary>
    private static string Table(TypeGraph graph)
    {
        var across = graph.Edges.Where(e => graph.NamespaceOf(e.From) != graph.NamespaceOf(e.To)).ToList();
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{"layer",5}  {"namespace",-42} {"types",5} {"uses↓",6} {"used↑",6}");
        for (var i = 0; i < LayerOrder.Namespaces.Count; i++)
        {
            var ns = LayerOrder.Namespaces[i];
            text.AppendLine(CultureInfo.InvariantCulture,
                $"{i,5}  {ns,-42} {graph.Types.Values.Count(v => v == ns),5} {across.Count(e => graph.NamespaceOf(e.From) == ns),6} {across.Count(e => graph.NamespaceOf(e.To) == ns),6}");
        }
        text.Append(CultureInfo.InvariantCulture, $"{graph.Edges.Count} type references, {across.Count} between namespaces, all downward");
        return text.ToString();
    }
}
