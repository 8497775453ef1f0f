using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Tlogistry.Bench;

/// <summary>One line of the results table.</summary>
internal sealed record Row(string Path, string Load, string Direct, string Peer, string Tlogistry, string VsDirect, string VsPeer, string Target, bool? Pass);

/// <summary>The Markdown report: the machine, the table, and notes under it.</summary>
internal sealed class Report
{
    private readonly List<Row> _rows = [];
    private readonly List<string> _notes = [];
    private readonly List<string> _sections = [];

    public void Add(Row row) => _rows.Add(row);

    /// <summary>A further table, printed under the main one: a heading line, then Markdown rows.</summary>
    public void Table(string heading, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        var sb = new StringBuilder();
        sb.AppendLine(heading);
        sb.AppendLine();
        sb.AppendLine("| " + string.Join(" | ", header) + " |");
        sb.AppendLine("|" + string.Concat(header.Select(_ => "---|")));
        foreach (var r in rows)
        {
            sb.AppendLine("| " + string.Join(" | ", r) + " |");
        }

        _sections.Add(sb.ToString());
    }

    public void Note(string line) => _notes.Add(line);

    public IReadOnlyList<Row> Rows => _rows;

    public static string Machine()
    {
        var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        var memKiB = long.Parse(File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        var kernel = File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        return string.Create(CultureInfo.InvariantCulture,
            $"{Environment.ProcessorCount} cores ({cpu}), {memKiB / 1024.0 / 1024.0:0.0} GiB RAM, Linux {kernel}, {RuntimeInformation.FrameworkDescription}, "
            + $"{FirstLine("docker-registry", "--version")}, {FirstLine("wrk", "--version")}");
    }

    public string Render(string machine, string settings)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Machine: {machine}");
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Settings: {settings}");
        sb.AppendLine();
        sb.AppendLine("| path | load | direct upstream | Distribution proxy | tlogistry | tlogistry / direct | tlogistry / Distribution proxy | target | result |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var r in _rows)
        {
            var result = r.Pass switch { true => "PASS", false => "FAIL", null => "" };
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {r.Path} | {r.Load} | {r.Direct} | {r.Peer} | {r.Tlogistry} | {r.VsDirect} | {r.VsPeer} | {r.Target} | {result} |");
        }

        foreach (var section in _sections)
        {
            sb.AppendLine();
            sb.Append(section);
        }

        if (_notes.Count > 0)
        {
            sb.AppendLine();
            foreach (var n in _notes)
            {
                sb.AppendLine(CultureInfo.InvariantCulture, $"- {n}");
            }
        }

        return sb.ToString();
    }

    private static string FirstLine(string file, string arg)
    {
        try
        {
            var psi = new ProcessStartInfo(file, arg) { RedirectStandardOutput = true, RedirectStandardError = true };
            using var p = Process.Start(psi)!;
            var text = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
            p.WaitForExit();
            var line = text.Split('\n').FirstOrDefault(l => l.Length > 0) ?? file;
            var copyright = line.IndexOf(" Copyright", StringComparison.Ordinal);
            return copyright > 0 ? line[..copyright] : line;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return file + " (not found)";
        }
    }
}
