using System.Diagnostics;

namespace Tlogistry.Fuzzing;

/// <summary>
/// One parser under fuzz. <see cref="Check"/> runs the parser on raw fuzz bytes and checks its
/// properties, throwing <see cref="PropertyViolation"/> when one fails; any other exception that
/// escapes is one the parser does not document. It returns a short outcome label (the result
/// kind or the error's wording without the echoed input), which the in-process fuzzer uses as
/// cheap feedback in place of coverage.
/// </summary>
internal sealed record FuzzTarget(
    string Name,
    string Description,
    Func<byte[], string> Check,
    IReadOnlyList<byte[]> Seeds,
    IReadOnlyList<byte[]> Tokens)
{
    /// <summary>
    /// Per-call time budget. Every target is linear in its input; a few KB parse in
    /// microseconds, so only a pathological path (regex backtracking, a quadratic loop) comes
    /// near this even with coverage instrumentation or a busy machine.
    /// </summary>
    public static readonly TimeSpan DefaultBudget = TimeSpan.FromMilliseconds(250);

    /// <summary>A target whose parser takes a string: fuzz bytes are read with <see cref="FuzzInput.Text"/>.</summary>
    public static FuzzTarget ForText(string name, string description, Func<string, string> check, IEnumerable<string> seeds, IEnumerable<string> tokens) =>
        new(name, description, data => check(FuzzInput.Text(data)), FuzzInput.AllBytes(seeds), FuzzInput.AllBytes(tokens));

    /// <summary>Runs <see cref="Check"/> and fails when it exceeds <paramref name="budget"/> twice in a row.</summary>
    public string Run(byte[] data, TimeSpan budget, out TimeSpan elapsed)
    {
        var watch = Stopwatch.StartNew();
        var outcome = Check(data);
        elapsed = watch.Elapsed;
        if (elapsed <= budget)
        {
            return outcome;
        }

        // A first call pays for JIT compilation, and any call can meet a GC pause; a slow parser
        // is slow every time.
        watch.Restart();
        Check(data);
        elapsed = watch.Elapsed;
        if (elapsed > budget)
        {
            throw new PropertyViolation(
                $"{Name}: {data.Length}-byte input took {elapsed.TotalMilliseconds:F0} ms, over the {budget.TotalMilliseconds:F0} ms budget");
        }

        return outcome;
    }
}
