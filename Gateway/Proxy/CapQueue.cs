namespace Gateway.Proxy;

/// <summary>
/// The requests of one capped cluster waiting for any destination to have room (HAProxy's backend queue), oldest
/// first. A freed place wakes the oldest waiter, which then tries to take it; one that loses the race waits again.
/// Only requests that actually wait pay for a waiter and a timer.
/// </summary>
internal sealed class CapQueue
{
    private readonly Lock _gate = new();
    private readonly LinkedList<TaskCompletionSource> _waiters = new();
    private int _count;

    public int Count => Volatile.Read(ref _count);

    /// <summary>Joins the queue unless <paramref name="limit"/> are already waiting; null when it is full.</summary>
    public LinkedListNode<TaskCompletionSource>? Join(int limit)
    {
        lock (_gate)
        {
            if (_count >= limit)
            {
                return null;
            }

            _count++;
            return _waiters.AddLast(new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        }
    }

    /// <summary>Leaves the queue (woken, timed out or gone); harmless if a signal already took the waiter out.</summary>
    public void Leave(LinkedListNode<TaskCompletionSource> waiter)
    {
        lock (_gate)
        {
            if (waiter.List is not null)
            {
                _waiters.Remove(waiter);
                _count--;
            }
        }
    }

    /// <summary>A place was freed: wake the oldest waiter. Costs nothing while nobody waits.</summary>
    public void Signal()
    {
        if (Volatile.Read(ref _count) == 0)
        {
            return;
        }

        TaskCompletionSource? woken = null;
        lock (_gate)
        {
            if (_waiters.First is { } first)
            {
                _waiters.RemoveFirst();
                _count--;
                woken = first.Value;
            }
        }

        woken?.TrySetResult();
    }
}
