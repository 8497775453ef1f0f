using System.CommandLine;
using Tlogistry.Commands;

namespace Tlogistry;

internal static class Program
{
    public static Task<int> Main(string[] args) => Cli.Create().Parse(args).InvokeAsync();
}
