using System.Net.Sockets;
using Npgsql;

namespace Tlogistry.Store;

/// <summary>
/// Whether a PostgreSQL failure means the connection itself was lost (a server restart or
/// failover closing pooled connections) rather than the statement failing: such an operation
/// is worth one more try on a fresh connection, anything else is reported as it is.
/// </summary>
internal static class BrokenConnection
{
    public static bool Is(Exception e) => e switch
    {
        // 57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now; class 08 connection exceptions.
        PostgresException p => p.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow
            || p.SqlState.StartsWith("08", StringComparison.Ordinal),
        NpgsqlException n => n.InnerException is IOException or SocketException or EndOfStreamException,
        _ => false,
    };
}
