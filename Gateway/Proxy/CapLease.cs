using Gateway.LoadBalancing;

namespace Gateway.Proxy;

/// <summary>
/// A request's place at one destination under the cluster's per-destination cap (an HttpContext feature while the
/// request runs): admission takes it with the pick, a retry moves it, the end of the request gives it back and wakes
/// the next request waiting in the cluster's queue.
/// </summary>
internal sealed class CapLease(DestinationStats held, int cap, CapQueue queue)
{
    public DestinationStats Held { get; private set; } = held;

    public int Cap { get; } = cap;

    /// <summary>Moves the place to <paramref name="next"/> if it has room; false (and nothing changes) if not.</summary>
    public bool TryMoveTo(DestinationStats next)
    {
        if (!next.TryTakeCapSlot(next.CapOr(Cap)))
        {
            return false;
        }

        Held.ReleaseCapSlot();
        Held = next;
        queue.Signal();
        return true;
    }

    public void Release()
    {
        Held.ReleaseCapSlot();
        queue.Signal();
    }
}
