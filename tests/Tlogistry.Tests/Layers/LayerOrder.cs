namespace Tlogistry.Tests.Layers;

/// <summary>
/// The namespaces of the service from the bottom up: a type may use types of its own namespace
/// and of namespaces below it, never above. docs/ARCHITECTURE.md draws the same order.
/// </summary>
internal static class LayerOrder
{
    public static IReadOnlyList<string> Namespaces { get; } =
    [
        // Pure formats and the plumbing everything may use.
        "Tlogistry.Oci",
        "Tlogistry.Files",
        "Tlogistry.Http",
        "Tlogistry.Telemetry",
        "Tlogistry.Caching",                // maps bounded by the bytes they hold
        "Tlogistry.Transparency.Merkle",
        "Tlogistry.Transparency.Tiles",
        "Tlogistry.Transparency.Notes",
        "Tlogistry.Transparency.Envelopes",
        "Tlogistry.Transparency.Sigstore",
        "Tlogistry.Transparency.Sigstore.Identity",

        // Logs: the abstraction, then a client's memory of a log, then the logs themselves.
        "Tlogistry.Transparency",
        "Tlogistry.Transparency.Witness",
        "Tlogistry.Transparency.Embedded",
        "Tlogistry.Transparency.Rekor",

        // Producing signatures.
        "Tlogistry.Signing",
        "Tlogistry.Signing.Keyless",
        "Tlogistry.Signing.Timestamps",

        // The proxy's parts.
        "Tlogistry.Store",
        "Tlogistry.Policy",
        "Tlogistry.Upstream.Auth",
        "Tlogistry.Upstream.Guard",
        "Tlogistry.Upstream",
        "Tlogistry.Ledger",
        "Tlogistry.Moves",                  // the record of tags seen moved upstream, and who is told
        "Tlogistry.Moves.Notify",           // telling webhooks of each move (CloudEvents)
        "Tlogistry.Registry",               // what every step of the API shares: OCI error bodies, outcomes, log lines
        "Tlogistry.Registry.Tlog",
        "Tlogistry.Registry.PassThrough",
        "Tlogistry.Registry.Manifests",
        "Tlogistry.Registry.Tags",
        "Tlogistry.Registry.Routing",       // the entry: route, refuse, dispatch to a step

        // Commands and pages that read what a proxy publishes.
        "Tlogistry.Client",
        "Tlogistry.Client.History",
        "Tlogistry.Client.Verify",
        "Tlogistry.Client.Audit",
        "Tlogistry.Client.Moves",
        "Tlogistry.Web",

        // Servers and their composition.
        "Tlogistry.Serving",
        "Tlogistry.LogServer",
        "Tlogistry.Host",

        // The command line: each command's flags and the glue to the code that does its work.
        "Tlogistry.Commands",
        "Tlogistry",
    ];

    /// <summary>Whether a namespace is the service's own (generated and compiler types are not placed).</summary>
    public static bool IsOwn(string ns) => ns == "Tlogistry" || ns.StartsWith("Tlogistry.", StringComparison.Ordinal);

    /// <summary>Every edge from a type to a type of a higher namespace, as "A.Type → B.Type".</summary>
    public static IReadOnlyList<string> Violations(IEnumerable<TypeEdge> edges, Func<string, string> namespaceOf, IReadOnlyList<string> order)
    {
        var rank = Ranks(order);
        return edges
            .Where(e => rank.TryGetValue(namespaceOf(e.From), out var from)
                && rank.TryGetValue(namespaceOf(e.To), out var to)
                && to > from)
            .Select(e => e.ToString())
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>The service's namespaces the order does not place.</summary>
    public static IReadOnlyList<string> Unplaced(IEnumerable<string> namespaces, IReadOnlyList<string> order)
    {
        var rank = Ranks(order);
        return namespaces.Where(IsOwn).Where(ns => !rank.ContainsKey(ns)).Distinct().Order(StringComparer.Ordinal).ToList();
    }

    private static Dictionary<string, int> Ranks(IReadOnlyList<string> order) =>
        order.Select((ns, i) => (ns, i)).ToDictionary(p => p.ns, p => p.i, StringComparer.Ordinal);
}
