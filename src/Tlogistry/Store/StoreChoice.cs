using Npgsql;

namespace Tlogistry.Store;

internal enum StoreKind
{
    Sqlite,
    Postgres,
}

/// <summary>
/// The <c>--store</c> setting: <c>sqlite</c> (<c>index.db</c> in the data directory, for one
/// process) or <c>postgres=CONNECTION STRING</c> (an Npgsql connection string; shared by replicas).
/// </summary>
internal sealed record StoreChoice(StoreKind Kind, string? ConnectionString)
{
    public const string SqliteFile = "index.db";

    public bool IsShared => Kind == StoreKind.Postgres;

    /// <summary>The bound of the record of moved tags, in rows (<c>--moves-max-rows</c>).</summary>
    public int MaxMoveRows { get; init; } = ITagMoves.DefaultMaxRows;

    /// <exception cref="FormatException">Not a store this tlogistry knows, or a connection string Npgsql cannot read.</exception>
    public static StoreChoice Parse(string? text)
    {
        var value = (text ?? "").Trim();
        if (value.Length == 0 || value.Equals("sqlite", StringComparison.OrdinalIgnoreCase))
        {
            return new StoreChoice(StoreKind.Sqlite, null);
        }

        // Only the part before '=' is ever echoed: a connection string may hold a password.
        var eq = value.IndexOf('=', StringComparison.Ordinal);
        var kind = eq < 0 ? value : value[..eq];
        if (!kind.Equals("postgres", StringComparison.OrdinalIgnoreCase))
        {
            throw new FormatException($"--store must be sqlite or postgres=CONNECTION STRING (e.g. postgres=Host=db;Database=tlogistry;Username=tlogistry), got \"{kind}{(eq < 0 ? "" : "=…")}\"");
        }

        if (eq < 0)
        {
            throw new FormatException("--store postgres needs a connection string: postgres=Host=db;Database=tlogistry;Username=tlogistry");
        }

        var connection = value[(eq + 1)..];
        NpgsqlConnectionStringBuilder parsed;
        try
        {
            parsed = new NpgsqlConnectionStringBuilder(connection);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException)
        {
            throw new FormatException($"--store postgres= needs an Npgsql connection string such as Host=db;Database=tlogistry;Username=tlogistry: {e.Message}", e);
        }

        if (string.IsNullOrWhiteSpace(parsed.Host))
        {
            throw new FormatException("--store postgres= needs Host= in its connection string (e.g. Host=db;Database=tlogistry;Username=tlogistry)");
        }

        return new StoreChoice(StoreKind.Postgres, connection);
    }

    /// <summary>
    /// Opens the store (applying PostgreSQL migrations); the caller disposes it when it is
    /// async-disposable. When <paramref name="logKeepsStatements"/> (embedded, Rekor v1) the log
    /// gives back any pin the SQLite file lost, so its commits need not wait for the disk; with
    /// Rekor v2 the store is the only copy of a statement, and every commit is synced.
    /// </summary>
    public async Task<ISightingIndex> OpenAsync(string dataDir, TimeSpan lockTimeout, bool logKeepsStatements, CancellationToken cancellationToken) => Kind switch
    {
        StoreKind.Postgres => await PostgresSightingIndex.OpenAsync(ConnectionString!, lockTimeout, MaxMoveRows, cancellationToken),
        _ => new SqliteSightingIndex(Path.Combine(dataDir, SqliteFile), durableCommits: !logKeepsStatements, MaxMoveRows),
    };

    // The record's own ToString would print the connection string, password and all.
    public override string ToString() => Kind == StoreKind.Postgres ? "postgres=…" : "sqlite";
}
