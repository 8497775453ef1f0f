namespace Tlogistry.Registry.Routing;

/// <summary>
/// The bound on upstream work in flight: every request that names a repository holds a slot
/// while it runs, and one that cannot get a slot within the wait is answered 503 instead of
/// queueing without end.
/// </summary>
internal sealed class UpstreamSlots : IDisposable
{
    private readonly SemaphoreSlim _slots;
    private readonly TimeSpan _wait;

    public UpstreamSlots(int count, TimeSpan wait)
    {
        _slots = new SemaphoreSlim(Math.Max(1, count));
        _wait = wait;
    }

    /// <returns>true when a slot was taken (and must be given back by <see cref="Release"/>)</returns>
    public Task<bool> TryTakeAsync(CancellationToken cancellationToken) => _slots.WaitAsync(_wait, cancellationToken);

    public void Release() => _slots.Release();

    public void Dispose() => _slots.Dispose();
}
