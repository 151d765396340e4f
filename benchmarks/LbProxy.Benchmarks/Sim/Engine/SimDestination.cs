using Benchmarks.Sim.Scenario;
using Gateway.LoadBalancing;

namespace Benchmarks.Sim.Engine;

/// <summary>
/// One simulated destination: the server side (a FIFO queue before <c>servers</c> parallel servers) and its
/// shipping <see cref="DestinationStats"/> (the gateway side). Also integrates the gateway's in-flight count
/// over time, for the time-averaged imbalance.
/// </summary>
public sealed class SimDestination(int index, DestinationGroup group, DestinationStats stats, long now)
{
    private readonly Queue<SimRequest> _waiting = new();
    private readonly List<SimRequest> _inService = [];
    private long _lastChange = now;

    public int Index { get; } = index;

    public DestinationGroup Group { get; } = group;

    public DestinationStats Stats { get; } = stats;

    /// <summary>The process is running (a dead one refuses connections).</summary>
    public bool Up { get; set; } = true;

    /// <summary>Health checks consider it healthy (what the policies see).</summary>
    public bool Healthy { get; set; } = true;

    /// <summary>Still a member of the cluster (not removed).</summary>
    public bool Member { get; set; } = true;

    public long JoinedAt { get; } = now;

    public long LeftAt { get; set; } = long.MaxValue;

    public double SlowFactor { get; set; } = 1;

    public ServiceTimeSpec? Override { get; set; }

    /// <summary>Integral of the gateway's in-flight count over time, in request-ticks.</summary>
    public double InFlightIntegral { get; private set; }

    public long Served { get; set; }

    /// <summary>Requests per second other clients send here (scenario event <c>others</c>).</summary>
    public double OtherRate { get; set; }

    /// <summary>An arrival from other clients is scheduled (one chain per destination).</summary>
    public bool OtherScheduled { get; set; }

    public int InSystem => _waiting.Count + _inService.Count;

    /// <summary>Requests waiting for a server: what ModelWorker reports as X-Queue-Depth (its batcher queue, not the
    /// batch being run).</summary>
    public int Waiting => _waiting.Count;

    public bool HasFreeServer => Group.Servers == 0 || _inService.Count < Group.Servers;

    public bool QueueFull => Group.QueueLimit > 0 && _waiting.Count >= Group.QueueLimit;

    public double ServiceSeconds(SimRequest r) => (Override ?? Group.ServiceTime).Sample(r.U, r.Z) * SlowFactor;

    /// <summary>Call before every change of the gateway's in-flight count.</summary>
    public void Account(long now)
    {
        InFlightIntegral += Stats.InFlight * (double)(now - _lastChange);
        _lastChange = now;
    }

    public void StartService(SimRequest r, long now)
    {
        r.ServiceStart = now;
        r.Slot = _inService.Count;
        _inService.Add(r);
    }

    /// <summary>Removes a request from service (swap-remove, O(1)).</summary>
    public void EndService(SimRequest r)
    {
        var last = _inService[^1];
        _inService[r.Slot] = last;
        last.Slot = r.Slot;
        _inService.RemoveAt(_inService.Count - 1);
        r.Slot = -1;
        r.Finished = true;
    }

    public void Enqueue(SimRequest r) => _waiting.Enqueue(r);

    /// <summary>The next waiting request whose client still waits; ones already given up are dropped, as the
    /// worker answers 504 without running a request past its deadline.</summary>
    public SimRequest? NextWaiting()
    {
        while (_waiting.TryDequeue(out var r))
        {
            if (!r.Answered)
            {
                return r;
            }

            r.Finished = true;
        }

        return null;
    }

    /// <summary>The process died: everything it held is lost.</summary>
    public List<SimRequest> DropAll()
    {
        var lost = new List<SimRequest>(_inService);
        lost.AddRange(_waiting);
        foreach (var r in lost)
        {
            r.Finished = true;
            r.Slot = -1;
        }

        _inService.Clear();
        _waiting.Clear();
        return lost;
    }
}
