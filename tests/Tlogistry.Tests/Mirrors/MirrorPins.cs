using System.Text.Json;
using Tlogistry.Client;
using Tlogistry.Client.History;

namespace Tlogistry.Tests.Mirrors;

/// <summary>What the proxy recorded for a tag, read the way an operator reads it: <c>tlogistry history --json</c>.</summary>
internal static class MirrorPins
{
    /// <summary>The digest the one verified sighting of <paramref name="reference"/> pins, or null when none is recorded.</summary>
    public static async Task<string?> PinnedDigestAsync(MirrorFixture f, string reference, CancellationToken ct)
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        int exit;
        try
        {
            exit = await ImageHistory.RunAsync(new HistoryRequest(reference, f.Proxy.BaseUri, null, true, TrustFlags.None), output, errors, ct);
        }
        catch (ClientException e) when (e.Message.Contains("no sighting", StringComparison.Ordinal))
        {
            return null;
        }

        Assert.Equal(0, exit);

        var rows = JsonDocument.Parse(output.ToString()).RootElement.EnumerateArray().ToList();
        var row = Assert.Single(rows);
        Assert.True(row.GetProperty("verified").GetBoolean(), errors.ToString());
        return row.GetProperty("digest").GetString();
    }
}
