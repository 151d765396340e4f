using Gateway.Split;

namespace Gateway.Tests.Split;

/// <summary>Cumulative per-cluster counters a test advances by hand (one destination "d" per cluster).</summary>
internal sealed class FakeCounters
{
    private readonly Dictionary<(string, string), DestinationCounters> _destinations = [];

    public int Reads { get; private set; }

    /// <summary>Adds <paramref name="requests"/> tries, <paramref name="failures"/> of them failed, all taking <paramref name="seconds"/>.</summary>
    public void Add(string cluster, long requests, long failures, double seconds)
    {
        var before = _destinations.GetValueOrDefault((cluster, "d")) ?? new DestinationCounters(0, 0,
            [(0.001, 0), (0.01, 0), (0.1, 0), (1, 0), (double.PositiveInfinity, 0)]);
        _destinations[(cluster, "d")] = new DestinationCounters(before.Requests + requests, before.Failures + failures,
            [.. before.Buckets.Select(b => (b.UpperBound, b.Count + (seconds <= b.UpperBound ? requests : 0)))]);
    }

    public Task<CounterSnapshot> ReadAsync(CancellationToken cancellationToken)
    {
        Reads++;
        return Task.FromResult(new CounterSnapshot(new Dictionary<(string, string), DestinationCounters>(_destinations)));
    }
}
