namespace Tlogistry.Commands;

/// <summary>
/// How a command ends on a failure a person can act on (bad settings, a damaged data directory,
/// an unreachable proxy): one line naming the reason on stderr and exit status 1, never a stack trace.
/// </summary>
internal static class Failures
{
    /// <summary>
    /// Runs a service until it stops: a reported failure prints one line and exits 1; a cancelled
    /// run exits 0.
    /// </summary>
    public static async Task<int> RunServiceAsync(Func<Task<int>> run, CancellationToken ct)
    {
        try
        {
            return await run();
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return 0;
        }
        catch (Exception e) when (IsReported(e))
        {
            await Console.Error.WriteLineAsync("tlogistry: " + e.Message);
            return 1;
        }
    }

    /// <summary>Runs a store command once: a reported failure, or one <paramref name="alsoReported"/> names, prints one line and exits 1.</summary>
    public static async Task<int> RunOnceAsync(Func<Task<int>> run, Func<Exception, bool> alsoReported)
    {
        try
        {
            return await run();
        }
        catch (Exception e) when (IsReported(e) || alsoReported(e))
        {
            await Console.Error.WriteLineAsync("tlogistry: " + e.Message);
            return 1;
        }
    }

    /// <summary>Runs a client command (<c>history</c>, <c>verify</c>, <c>audit</c>): its failures name the command.</summary>
    public static async Task<int> RunClientAsync(string name, Func<Task<int>> run)
    {
        try
        {
            return await run();
        }
        catch (Exception e) when (e is Client.ClientException or IOException or UnauthorizedAccessException or InvalidDataException or System.Data.Common.DbException)
        {
            await Console.Error.WriteLineAsync($"tlogistry {name}: {e.Message}");
            return 1;
        }
    }

    private static bool IsReported(Exception e) =>
        e is FormatException or InvalidDataException or InvalidOperationException or IOException
            or UnauthorizedAccessException or System.Data.Common.DbException or Transparency.Sigstore.LogVerificationException;
}
