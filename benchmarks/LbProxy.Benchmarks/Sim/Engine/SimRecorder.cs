using System.Diagnostics;

namespace Benchmarks.Sim.Engine;

/// <summary>Collects a run's measurements as the engine reports them, and turns them into a <see cref="SimResult"/>.</summary>
public sealed class SimRecorder(double duration, double bucketWidth, int keyCount, int expectedRequests)
{
    private readonly List<float> _latencies = new(expectedRequests);
    private readonly List<long[]> _buckets = [];
    private readonly List<ImbalanceSample> _imbalance = [];
    private readonly List<KeyRemap> _remaps = [];
    private readonly int[] _lastKeyOwner = CreateOwners(keyCount);
    private readonly Stopwatch _wall = Stopwatch.StartNew();
    private readonly int _bucketCount = Math.Max(1, (int)Math.Ceiling(duration / bucketWidth));
    private long _requests, _within, _errors, _timedOut, _keyed, _keyMoved, _started;
    private double _waitSum;

    public void Sent(SimDestination destination, SimRequest request, double at)
    {
        while (_buckets.Count <= destination.Index)
        {
            _buckets.Add(new long[_bucketCount]);
        }

        _buckets[destination.Index][Math.Min((int)(at / bucketWidth), _bucketCount - 1)]++;
        if (_lastKeyOwner.Length > 0)
        {
            var last = _lastKeyOwner[request.Key];
            _keyed += last >= 0 ? 1 : 0;
            _keyMoved += last >= 0 && last != destination.Index ? 1 : 0;
            _lastKeyOwner[request.Key] = destination.Index;
        }
    }

    public void Answered(double latency, bool ok, bool timedOut, double timeout)
    {
        _requests++;
        _latencies.Add((float)latency);
        _within += ok && latency <= timeout ? 1 : 0;
        _errors += ok || timedOut ? 0 : 1;
        _timedOut += timedOut ? 1 : 0;
    }

    /// <summary>A request left the queue for a server after waiting <paramref name="wait"/> seconds.</summary>
    public void ServiceStarted(double wait)
    {
        _started++;
        _waitSum += wait;
    }

    public void Sample(ImbalanceSample sample) => _imbalance.Add(sample);

    public void Remapped(KeyRemap remap) => _remaps.Add(remap);

    public SimResult Finish(string policy, int seed, IReadOnlyList<SimDestination> all, long end, long events)
    {
        var latencies = _latencies.ToArray();
        Array.Sort(latencies);
        // Time-averaged in-flight per destination over the time it was a member.
        var averages = all.Select(d =>
        {
            d.Account(Math.Min(end, d.LeftAt));
            var span = Math.Min(end, d.LeftAt) - d.JoinedAt;
            return span > 0 ? d.InFlightIntegral / span : 0;
        }).ToArray();
        var mean = averages.Length == 0 ? 0 : averages.Average();
        var peaks = _imbalance.Where(s => s.Mean > 0).Select(s => s.Max / s.Mean).ToArray();
        while (_buckets.Count < all.Count)
        {
            _buckets.Add(new long[_bucketCount]);
        }

        return new SimResult
        {
            Policy = policy,
            Seed = seed,
            Latencies = latencies,
            Requests = _requests,
            WithinTimeout = _within,
            Errors = _errors,
            TimedOut = _timedOut,
            AverageImbalance = mean > 0 ? averages.Max() / mean : 1,
            PeakImbalance = peaks.Length == 0 ? 1 : peaks.Average(),
            Imbalance = _imbalance,
            DestinationIds = all.Select(d => d.Stats.Id).ToArray(),
            PerBucket = _buckets,
            BucketWidth = bucketWidth,
            KeyRemaps = _remaps,
            KeyMoved = _keyed == 0 ? double.NaN : _keyMoved / (double)_keyed,
            MeanWait = _started == 0 ? 0 : _waitSum / _started,
            Events = events,
            WallTime = _wall.Elapsed,
        };
    }

    private static int[] CreateOwners(int count)
    {
        var owners = new int[count];
        Array.Fill(owners, -1);
        return owners;
    }
}
