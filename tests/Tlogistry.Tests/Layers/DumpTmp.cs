namespace Tlogistry.Tests.Layers;
public class DumpTmp
{
    [Fact]
    public void Dump()
    {
        var g = TypeGraph.Read(typeof(Tlogistry.Oci.Digest).Assembly.Location);
        var lines = g.Edges.Where(e => g.NamespaceOf(e.From) != g.NamespaceOf(e.To))
            .Select(e => $"{g.NamespaceOf(e.From)} -> {g.NamespaceOf(e.To)} :: {e}").OrderBy(s => s, StringComparer.Ordinal);
        File.WriteAllLines("/tmp/a14/edges.txt", lines);
        File.WriteAllLines("/tmp/a14/types.txt", g.Types.Select(t => t.Value + " :: " + t.Key).OrderBy(s => s, StringComparer.Ordinal));
    }
}
