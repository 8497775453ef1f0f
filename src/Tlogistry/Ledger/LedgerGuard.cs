using Tlogistry.Transparency;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Ledger;

/// <summary>
/// How the ledger names failures: a store or log that cannot be reached is an outage
/// (<see cref="LedgerUnavailableException"/>), an answer that does not verify is not
/// (<see cref="LedgerIntegrityException"/>, never served unverified).
/// </summary>
internal static class LedgerGuard
{
    /// <summary>What a log or index failing to read or write looks like (as opposed to bad data).</summary>
    public static bool IsStorageFailure(Exception e) =>
        e is IOException or UnauthorizedAccessException or InvalidOperationException or TimeoutException or System.Data.Common.DbException;

    /// <summary>Turns storage failures into <see cref="LedgerUnavailableException"/>, naming the step.</summary>
    public static async Task<T> Store<T>(string step, Func<Task<T>> action)
    {
        try
        {
            return await action();
        }
        catch (Exception e) when (IsStorageFailure(e))
        {
            throw new LedgerUnavailableException($"{step} failed: {e.Message}", e);
        }
    }

    /// <summary>Like <see cref="Store{T}"/>, with no result.</summary>
    public static Task Store(string step, Func<Task> action) => Store(step, async () =>
    {
        await action();
        return 0;
    });

    /// <summary>A log that is down or answers with errors: the same outage as a storage failure.</summary>
    public static async Task<T> Log<T>(string step, Func<Task<T>> action)
    {
        try
        {
            return await Store(step, action);
        }
        catch (LogUnavailableException e)
        {
            throw new LedgerUnavailableException($"{step} failed: {e.Message}", e);
        }
        catch (LogVerificationException e)
        {
            // An answer that fails verification is not an outage: it never serves unverified.
            throw new LedgerIntegrityException($"{step} failed: {e.Message}", e);
        }
    }

    /// <summary>Runs a <see cref="PinGate"/> check; the store it reads failing is an outage like any other.</summary>
    public static Task Admit(Func<Task> check) => Store("checkpoint memory", check);
}
