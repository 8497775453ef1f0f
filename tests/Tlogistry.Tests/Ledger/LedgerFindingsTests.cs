using Microsoft.Extensions.Logging.Abstractions;
using Tlogistry.Ledger;
using Tlogistry.Tests.Store;

namespace Tlogistry.Tests.Ledger;

/// <summary>
/// A log full of conflicting or unverifiable entries is counted in full but kept only up to a
/// bound, so a hostile log cannot grow the process by feeding it findings.
/// </summary>
public sealed class LedgerFindingsTests
{
    [Fact]
    public void EveryFindingIsCountedButOnlyTheFirstAreKept()
    {
        var findings = new LedgerFindings(NullLogger.Instance);
        var total = LedgerFindings.Kept + 500;
        for (var i = 0; i < total; i++)
        {
            var first = SightingIndexTests.Fake($"ghcr.io/org/app:t{i}", i);
            var later = SightingIndexTests.Fake($"ghcr.io/org/app:t{i}", i + total);
            findings.Conflict(first, later);
            findings.Conflict(first, later); // met again from the other side: told once
            findings.Unverified(i, "no configured key");
        }

        Assert.Equal(total, findings.ConflictCount);
        Assert.Equal(LedgerFindings.Kept, findings.Conflicts.Count);
        Assert.Contains("ghcr.io/org/app:t0:", findings.Conflicts.First(), StringComparison.Ordinal);
        Assert.Equal(total, findings.UnverifiableCount);
        Assert.Equal(LedgerFindings.Kept, findings.Unverifiable.Count);
        Assert.StartsWith("log entry 0:", findings.Unverifiable.First(), StringComparison.Ordinal);
    }
}
