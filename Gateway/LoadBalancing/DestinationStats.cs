namespace Gateway.LoadBalancing;

/// <summary>
/// The one statistics record of a destination: written on the request path with Interlocked, read
/// lock-free by the policies, the status page and metrics. Times come from the shared <see cref="LatencyModel"/>.
/// </summary>
public sealed class DestinationStats
{
    private long _inFlight;
    private long _requests;
    private long _failures;
    private int _weight = 1;
    private PeakEwma _latency;
    private long _queueDepth;
    private long _queueDepthStamp;

    public DestinationStats(string id, LatencyModel? model = null, int weight = 1, string address = "")
    {
        Id = id;
        Model = model ?? LatencyModel.Default;
        Weight = weight;
        Address = address;
    }

    public string Id { get; }

    public LatencyModel Model { get; }

    public string Address { get; set; }

    /// <summary>Configured weight, an integer >= 1 (nginx <c>weight=</c>).</summary>
    public int Weight
    {
        get => Volatile.Read(ref _weight);
        set => Volatile.Write(ref _weight, Math.Max(1, value));
    }

    public long InFlight => Volatile.Read(ref _inFlight);

    public long Requests => Volatile.Read(ref _requests);

    public long Failures => Volatile.Read(ref _failures);

    /// <summary>Whether any response has been seen (a latency estimate exists).</summary>
    public bool HasLatencySamples => _latency.HasSamples;

    /// <summary>Marks a request as sent to this destination. Pair with <see cref="Complete"/> or <see cref="Abandon"/> in a finally.</summary>
    public void Begin() => Interlocked.Increment(ref _inFlight);

    /// <summary>Marks a request that was begun but produced no response worth a sample.</summary>
    public void Abandon() => Interlocked.Decrement(ref _inFlight);

    /// <summary>
    /// Records a finished request: its latency (a failure counts as at least the model's failure penalty),
    /// and the queue depth the destination reported with it (negative when it reported none).
    /// </summary>
    public void Complete(TimeSpan elapsed, bool failed, int reportedQueueDepth = -1)
    {
        Interlocked.Decrement(ref _inFlight);
        Interlocked.Increment(ref _requests);
        var sample = elapsed.TotalSeconds;
        if (failed)
        {
            Interlocked.Increment(ref _failures);
            sample = Math.Max(sample, Model.FailurePenalty.TotalSeconds);
        }

        var now = Model.Time.GetTimestamp();
        _latency.Observe(sample, now, Model.Time, Model.DecayTime);
        if (reportedQueueDepth >= 0)
        {
            Volatile.Write(ref _queueDepthStamp, now);
            Volatile.Write(ref _queueDepth, reportedQueueDepth);
        }
    }

    /// <summary>The peak-EWMA latency estimate in seconds at timestamp <paramref name="now"/> (0 with no samples).</summary>
    public double LatencyEstimate(long now) => _latency.Read(now, Model.Time, Model.DecayTime);

    /// <summary>
    /// The queue depth the destination last reported (X-Queue-Depth), faded by its age so a stale report
    /// cannot keep a destination starved.
    /// </summary>
    public double ReportedQueueDepth(long now)
    {
        var depth = Volatile.Read(ref _queueDepth);
        if (depth <= 0)
        {
            return 0;
        }

        var age = Model.Time.GetElapsedTime(Volatile.Read(ref _queueDepthStamp), now).TotalSeconds;
        return depth * Math.Pow(0.5, Math.Max(0, age) / Model.QueueDepthHalfLife.TotalSeconds);
    }
}
