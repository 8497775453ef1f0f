using System.Diagnostics;
using System.Text;

namespace Tlogistry.Fuzzing;

/// <summary>What one bounded run did.</summary>
internal sealed record FuzzRunStats(string Target, long Executions, TimeSpan Elapsed, int CorpusSize, int Outcomes, TimeSpan SlowestCall, int SlowestInputLength)
{
    public double ExecutionsPerSecond => Elapsed.TotalSeconds > 0 ? Executions / Elapsed.TotalSeconds : 0;

    public override string ToString() =>
        $"{Target}: {Executions} executions in {Elapsed.TotalSeconds:F1} s ({ExecutionsPerSecond:F0}/s), "
        + $"{Outcomes} distinct outcomes, corpus {CorpusSize}, slowest call {SlowestCall.TotalMilliseconds:F1} ms ({SlowestInputLength} bytes)";
}

/// <summary>A target failed on an input; the input has been minimised.</summary>
internal sealed class FuzzFailure : Exception
{
    public FuzzFailure()
    {
    }

    public FuzzFailure(string message)
        : base(message)
    {
    }

    public FuzzFailure(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public byte[] Input { get; init; } = [];
}

/// <summary>
/// An in-process mutation fuzzer for when no coverage-guided engine is at hand (and for the
/// quick run in the test suite). Its feedback is the outcome label each target returns: an
/// input that produces a label not seen before joins the corpus.
/// </summary>
internal static class MutationFuzzer
{
    public const int MaxInputLength = 4096;

    private const int MaxCorpus = 4096;

    public static FuzzRunStats Run(FuzzTarget target, IEnumerable<byte[]> extraSeeds, TimeSpan duration, long maxExecutions, int seed, TimeSpan? budget = null)
    {
        var limit = budget ?? FuzzTarget.DefaultBudget;
        var corpus = new List<byte[]>();
        var outcomes = new HashSet<string>(StringComparer.Ordinal);
        var slowest = (Time: TimeSpan.Zero, Length: 0);
        var executions = 0L;
        var watch = Stopwatch.StartNew();

        void Execute(byte[] input, bool keep)
        {
            string outcome;
            TimeSpan elapsed;
            try
            {
                outcome = target.Run(input, limit, out elapsed);
            }
            catch (Exception e)
            {
                throw Fail(target, input, e, limit);
            }

            executions++;
            if (elapsed > slowest.Time)
            {
                slowest = (elapsed, input.Length);
            }

            if ((outcomes.Add(outcome) || keep) && corpus.Count < MaxCorpus)
            {
                corpus.Add(input);
            }
        }

        foreach (var input in target.Seeds.Concat(extraSeeds))
        {
            Execute(input.Length > MaxInputLength ? input[..MaxInputLength] : input, keep: true);
        }

        if (corpus.Count == 0)
        {
            corpus.Add([]);
        }

        var random = new Random(seed);
        var mutator = new Mutator(random, target.Tokens, MaxInputLength);
        while (executions < maxExecutions && watch.Elapsed < duration)
        {
            Execute(mutator.Mutate(corpus[random.Next(corpus.Count)], corpus), keep: false);
        }

        return new FuzzRunStats(target.Name, executions, watch.Elapsed, corpus.Count, outcomes.Count, slowest.Time, slowest.Length);
    }

    /// <summary>Runs one input, as a crash file from any engine would be replayed.</summary>
    public static string Replay(FuzzTarget target, byte[] input, TimeSpan? budget = null)
    {
        var limit = budget ?? FuzzTarget.DefaultBudget;
        try
        {
            return target.Run(input, limit, out _);
        }
        catch (Exception e)
        {
            throw Fail(target, input, e, limit);
        }
    }

    /// <summary>
    /// Shrinks a failing input while it keeps failing with the same exception type: drops
    /// chunks of halving size, then simplifies single bytes.
    /// </summary>
    public static byte[] Minimize(FuzzTarget target, byte[] input, Type failure, TimeSpan budget)
    {
        bool StillFails(byte[] candidate)
        {
            try
            {
                target.Run(candidate, budget, out _);
                return false;
            }
            catch (Exception e)
            {
                return e.GetType() == failure;
            }
        }

        var current = input;
        for (var chunk = Math.Max(1, current.Length / 2); chunk >= 1; chunk /= 2)
        {
            for (var at = 0; at + chunk <= current.Length;)
            {
                byte[] candidate = [.. current[..at], .. current[(at + chunk)..]];
                if (StillFails(candidate))
                {
                    current = candidate;
                }
                else
                {
                    at += chunk;
                }
            }
        }

        for (var i = 0; i < current.Length; i++)
        {
            foreach (var simpler in "a0/ "u8.ToArray())
            {
                if (current[i] == simpler)
                {
                    break;
                }

                var candidate = (byte[])current.Clone();
                candidate[i] = simpler;
                if (StillFails(candidate))
                {
                    current = candidate;
                    break;
                }
            }
        }

        return current;
    }

    /// <summary>A C#-style literal for an input, to paste into a regression test.</summary>
    public static string Literal(byte[] input)
    {
        var text = FuzzInput.Text(input);
        var sb = new StringBuilder("\"");
        foreach (var c in text)
        {
            sb.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                >= ' ' and <= '~' => c.ToString(),
                _ => $"\\u{(int)c:x4}",
            });
        }

        return sb.Append('"').ToString();
    }

    private static FuzzFailure Fail(FuzzTarget target, byte[] input, Exception error, TimeSpan budget)
    {
        var minimal = Minimize(target, input, error.GetType(), budget);
        var shown = minimal.AsSpan().SequenceEqual(input) ? "" : $" (minimised from {input.Length} bytes)";
        return new FuzzFailure(
            $"{target.Name}: {error.GetType().Name}: {error.Message}\n"
            + $"input{shown}: {Literal(minimal)}\nbase64: {Convert.ToBase64String(minimal)}",
            error)
        {
            Input = minimal,
        };
    }
}
