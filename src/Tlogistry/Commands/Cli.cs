using System.CommandLine;

namespace Tlogistry.Commands;

/// <summary>
/// The command line, one file per command in this folder: <c>serve</c>, <c>index rebuild</c>,
/// <c>index accept-log</c>, <c>log serve</c>, <c>history</c>, <c>verify</c>, <c>audit</c>. A
/// command file holds the flags and the glue to the code that does the work, which lives with
/// its concept (Host, LogServer, Client).
/// </summary>
internal static class Cli
{
    public static RootCommand Create() =>
        new("tlogistry: a read-only registry front whose tags are transparently immutable.")
        {
            ServeCommand.Create(),
            new Command("index", "Maintain the sighting store.") { IndexRebuildCommand.Create(), IndexAcceptLogCommand.Create() },
            new Command("log", "Run the embedded transparency log as a service.") { LogServeCommand.Create() },
            HistoryCommand.Create(),
            VerifyCommand.Create(),
            AuditCommand.Create(),
            MovesCommand.Create(),
        };
}
