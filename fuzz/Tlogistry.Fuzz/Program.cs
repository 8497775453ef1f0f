using System.Globalization;
using System.Text;
using SharpFuzz;
using Tlogistry.Fuzzing;

// Fuzz driver. `afl TARGET` is the loop afl-fuzz runs (scripts/fuzz.sh instruments the parsers
// and starts it); `run` is a self-contained mutation fuzzer; `replay` re-runs saved inputs.
return args switch
{
    ["list"] => List(),
    ["seeds", var dir] => WriteSeeds(dir),
    ["afl", var name] => Afl(name),
    ["run", var name, var seconds, .. var rest] => RunMutation(name, int.Parse(seconds, CultureInfo.InvariantCulture), rest),
    ["replay", var name, .. var files] when files.Length > 0 => Replay(Target(name), files),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: Tlogistry.Fuzz list | seeds DIR | afl TARGET | run TARGET|all SECONDS [--seed N] | replay TARGET FILE...");
    return 2;
}

static FuzzTarget Target(string name) =>
    FuzzTargets.Find(name) ?? throw new ArgumentException($"unknown target '{name}'; see 'list'");

static int List()
{
    foreach (var target in FuzzTargets.All)
    {
        Console.WriteLine($"{target.Name,-18} {target.Description}");
    }

    return 0;
}

// One folder of seed files and one afl-fuzz dictionary per target.
static int WriteSeeds(string dir)
{
    var fixtures = FixtureSeeds.Load();
    foreach (var target in FuzzTargets.All)
    {
        var folder = Path.Combine(dir, target.Name);
        Directory.CreateDirectory(folder);
        var seeds = target.Seeds.Concat(fixtures[target.Name])
            .Where(s => s.Length <= MutationFuzzer.MaxInputLength)
            .DistinctBy(Convert.ToBase64String)
            .ToList();
        for (var i = 0; i < seeds.Count; i++)
        {
            File.WriteAllBytes(Path.Combine(folder, $"seed-{i:D3}"), seeds[i]);
        }

        var dictionary = new StringBuilder();
        for (var i = 0; i < target.Tokens.Count; i++)
        {
            dictionary.Append(CultureInfo.InvariantCulture, $"token_{i}=\"");
            foreach (var b in target.Tokens[i])
            {
                dictionary.Append(b is >= 0x20 and < 0x7f and not (byte)'"' and not (byte)'\\' ? ((char)b).ToString() : $"\\x{b:X2}");
            }

            dictionary.Append("\"\n");
        }

        File.WriteAllText(Path.Combine(dir, target.Name + ".dict"), dictionary.ToString());
        Console.WriteLine($"{target.Name}: {seeds.Count} seeds");
    }

    return 0;
}

// Any exception that leaves the callback is a crash to afl-fuzz, which saves the input. The
// instrumented parsers can only run once Fuzzer.Run has mapped afl's coverage memory, so even
// the target's static seeds are built inside the callback.
static int Afl(string name)
{
    var budget = TimeSpan.FromMilliseconds(
        int.Parse(Environment.GetEnvironmentVariable("FUZZ_BUDGET_MS") ?? "1000", CultureInfo.InvariantCulture));
    FuzzTarget? target = null;
    Fuzzer.Run(stream =>
    {
        target ??= Target(name);
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        target.Run(buffer.ToArray(), budget, out _);
    });
    return 0;
}

static int RunMutation(string name, int seconds, string[] rest)
{
    var seed = rest is ["--seed", var s] ? int.Parse(s, CultureInfo.InvariantCulture) : Environment.TickCount;
    var targets = name == "all" ? FuzzTargets.All : [Target(name)];
    var fixtures = FixtureSeeds.Load();
    var failed = 0;
    foreach (var target in targets)
    {
        try
        {
            var stats = MutationFuzzer.Run(target, fixtures[target.Name], TimeSpan.FromSeconds(seconds), long.MaxValue, seed);
            Console.WriteLine(stats);
        }
        catch (FuzzFailure failure)
        {
            failed++;
            Console.WriteLine($"FAIL {failure.Message}\n{failure.InnerException}");
        }
    }

    Console.WriteLine($"seed {seed}");
    return failed == 0 ? 0 : 1;
}

static int Replay(FuzzTarget target, string[] files)
{
    var failed = 0;
    foreach (var file in files)
    {
        try
        {
            Console.WriteLine($"{file}: {MutationFuzzer.Replay(target, File.ReadAllBytes(file))}");
        }
        catch (FuzzFailure failure)
        {
            failed++;
            Console.WriteLine($"{file}: FAIL {failure.Message}\n{failure.InnerException}");
        }
    }

    return failed == 0 ? 0 : 1;
}
