namespace Gateway.LoadBalancing;

/// <summary>
/// The one statistics record of a destination: written on the request path with Interlocked, read
/// lock-free by the policies, the status page and metrics. Times come from the shared <see cref="LatencyModel"/>.
/// </summary>
public sealed class DestinationStats
{
    private int _capSlots;
    private readonly long[] _inFlightBlock;
    private readonly int _inFlightSlot;
    private long _requests;
    private long _failures;
    private int _weight = 1;
    private PeakEwma _latency;
    private UnansweredBackoff _backoff;
    private long _queueDepth;
    private long _queueDepthStamp;
    private int _rampPermille = 1000;
    private long _rampStart;

    public DestinationStats(string id, LatencyModel? model = null, int weight = 1, string address = "", ClusterLoad? cluster = null)
    {
        Id = id;
        Model = model ?? LatencyModel.Default;
        Weight = weight;
        Address = address;
        Cluster = cluster;
        (_inFlightBlock, _inFlightSlot) = cluster?.AllocateCounter() ?? (new long[1], 0);
    }

    /// <summary>The cluster total this destination's in-flight count also goes into (fixed at creation, so it never drifts).</summary>
    public ClusterLoad? Cluster { get; }

    public string Id { get; }

    public LatencyModel Model { get; }

    public string Address { get; set; }

    /// <summary>Configured weight, an integer >= 1 (nginx <c>weight=</c>).</summary>
    public int Weight
    {
        get => Volatile.Read(ref _weight);
        set => Volatile.Write(ref _weight, Math.Max(1, value));
    }

    /// <summary>
    /// The weight the policies balance with, in tenths: <see cref="Weight"/> x 10 scaled down while the
    /// destination is in slow start (never below 1), so a weight-1 destination can still ramp in 10% steps.
    /// </summary>
    public int SelectionWeight => Math.Max(1, Weight * Volatile.Read(ref _rampPermille) / 100);

    /// <summary>Slow-start share, 0..1 (1 = full share).</summary>
    public double RampFactor => Volatile.Read(ref _rampPermille) / 1000.0;

    /// <summary>When the current slow start began (a <see cref="TimeProvider"/> timestamp), 0 when not ramping.</summary>
    public long RampStart => Volatile.Read(ref _rampStart);

    public long InFlight => Volatile.Read(ref InFlightCounter);

    /// <summary>
    /// Where the in-flight counter lives: a slot in its cluster's counter block (<see cref="ClusterLoad"/>), or a
    /// block of its own for a record made without a cluster. Readers that scan a whole cluster read the block.
    /// </summary>
    internal (long[] Block, int Slot) InFlightCell => (_inFlightBlock, _inFlightSlot);

    private ref long InFlightCounter => ref _inFlightBlock[_inFlightSlot];

    public long Requests => Volatile.Read(ref _requests);

    public long Failures => Volatile.Read(ref _failures);

    /// <summary>Whether any response has been seen (a latency estimate exists).</summary>
    public bool HasLatencySamples => _latency.HasSamples;

    /// <summary>
    /// Requests holding one of this destination's places under a per-destination cap (nginx <c>max_conns</c>), from
    /// admission to the end of the request, retries included: taken atomically at the pick, so the cap always holds.
    /// </summary>
    public int CapSlots => Volatile.Read(ref _capSlots);

    /// <summary>This destination's own cap (metadata <c>MaxConnections</c>); 0 = the cluster's.</summary>
    public int MaxConnections { get; set; }

    /// <summary>The cap that holds here: the destination's own, else <paramref name="clusterCap"/>.</summary>
    public int CapOr(int clusterCap) => MaxConnections > 0 ? MaxConnections : clusterCap;

    /// <summary>Takes a place if fewer than <paramref name="cap"/> are taken.</summary>
    public bool TryTakeCapSlot(int cap)
    {
        var taken = Volatile.Read(ref _capSlots);
        while (taken < cap)
        {
            var seen = Interlocked.CompareExchange(ref _capSlots, taken + 1, taken);
            if (seen == taken)
            {
                return true;
            }

            taken = seen;
        }

        return false;
    }

    public void ReleaseCapSlot() => Interlocked.Decrement(ref _capSlots);

    /// <summary>Marks a request as sent to this destination. Pair with <see cref="Complete"/> or <see cref="Abandon"/> in a finally.</summary>
    public void Begin()
    {
        Interlocked.Increment(ref InFlightCounter);
        Cluster?.Add(1);
    }

    /// <summary>Marks a request that was begun but produced no response worth a sample.</summary>
    public void Abandon()
    {
        Interlocked.Decrement(ref InFlightCounter);
        Cluster?.Add(-1);
    }

    /// <summary>
    /// The client gave up after <paramref name="elapsed"/>: no completion is counted. When the destination had not
    /// begun to answer, the time already waited is a lower bound on its latency, so it may raise the estimate (never
    /// lower it), and a destination that answered nothing sent since is held back (<see cref="UnansweredBackoff"/>).
    /// Without this a destination whose requests all outlive the client timeout would never report being slow.
    /// When the response had begun (<paramref name="responseStarted"/>, e.g. a client leaving a long stream), the
    /// destination did answer and the time waited says nothing about its latency.
    /// </summary>
    public void AbandonAfter(TimeSpan elapsed, bool responseStarted = false)
    {
        Abandon();
        var now = Model.Time.GetTimestamp();
        if (responseStarted)
        {
            _backoff.Answered(SentAt(now, elapsed));
            return;
        }

        Unanswered(elapsed, elapsed.TotalSeconds, now);
    }

    /// <summary>
    /// The gateway's own try timeout fired after <paramref name="elapsed"/> before any answer: a failed request, and a
    /// censored sample like a client abandon (at least the failure penalty).
    /// </summary>
    public void TimedOut(TimeSpan elapsed)
    {
        Interlocked.Decrement(ref InFlightCounter);
        Cluster?.Add(-1);
        Interlocked.Increment(ref _requests);
        Interlocked.Increment(ref _failures);
        Unanswered(elapsed, Math.Max(elapsed.TotalSeconds, Model.FailurePenalty.TotalSeconds), Model.Time.GetTimestamp());
    }

    /// <summary>
    /// Records a finished request: its latency (a failure counts as at least the model's failure penalty),
    /// and the queue depth the destination reported with it (negative when it reported none).
    /// </summary>
    public void Complete(TimeSpan elapsed, bool failed, int reportedQueueDepth = -1)
    {
        Interlocked.Decrement(ref InFlightCounter);
        Cluster?.Add(-1);
        Interlocked.Increment(ref _requests);
        var sample = elapsed.TotalSeconds;
        if (failed)
        {
            Interlocked.Increment(ref _failures);
            sample = Math.Max(sample, Model.FailurePenalty.TotalSeconds);
        }

        var now = Model.Time.GetTimestamp();
        _backoff.Answered(SentAt(now, elapsed));
        _latency.Observe(sample, now, Model.Time, Model.DecayTime);
        if (reportedQueueDepth >= 0)
        {
            Volatile.Write(ref _queueDepthStamp, now);
            Volatile.Write(ref _queueDepth, reportedQueueDepth);
        }
    }

    /// <summary>
    /// A request ended without an answer: <paramref name="sample"/> is a lower bound on the latency. Only a wait at
    /// least as long as the destination's estimate is evidence that it stalled: a client that gives up on a request
    /// it knew to be long (a 30 s generation cancelled after 5 s) says nothing about the destination.
    /// </summary>
    private void Unanswered(TimeSpan elapsed, double sample, long now)
    {
        var estimate = LatencyEstimate(now);
        if (elapsed.TotalSeconds >= estimate)
        {
            _backoff.Unanswered(SentAt(now, elapsed), now, elapsed.TotalSeconds, Model.DecayTime, Model.Time);
        }

        if (sample > estimate)
        {
            _latency.Observe(sample, now, Model.Time, Model.DecayTime);
        }
    }

    /// <summary>Begins a slow start at <paramref name="now"/> (the destination just became available).</summary>
    public void StartRamp(long now)
    {
        Volatile.Write(ref _rampStart, now);
        Volatile.Write(ref _rampPermille, 0);
    }

    /// <summary>
    /// Envoy's slow-start factor: max(minPercent/100, (t / window)^(1 / aggression)), t the time since the ramp
    /// began; at the end of the window the ramp ends. Returns whether the destination is still ramping.
    /// </summary>
    public bool UpdateRamp(long now, TimeSpan window, double minPercent, double aggression)
    {
        var start = RampStart;
        if (start == 0)
        {
            return false;
        }

        var t = Model.Time.GetElapsedTime(start, now);
        if (window <= TimeSpan.Zero || t >= window)
        {
            Volatile.Write(ref _rampStart, 0);
            Volatile.Write(ref _rampPermille, 1000);
            return false;
        }

        var factor = Math.Max(minPercent / 100, Math.Pow(Math.Max(0, t / window), 1 / aggression));
        Volatile.Write(ref _rampPermille, (int)Math.Clamp(Math.Round(factor * 1000), 1, 1000));
        return true;
    }

    /// <summary>
    /// The peak-EWMA latency estimate in seconds at timestamp <paramref name="now"/> (0 with no samples). It decays
    /// with idle time only while nothing is outstanding: the decay exists to re-probe a destination that stopped
    /// getting traffic, and a destination holding requests that do not come back is the slowest, not the fastest
    /// (with client timeouts abandoned, the decay used to make a stuck destination look faster every second).
    /// </summary>
    public double LatencyEstimate(long now) =>
        InFlight > 0 ? _latency.Read(_latency.Stamp, Model.Time, Model.DecayTime) : _latency.Read(now, Model.Time, Model.DecayTime);

    /// <summary>Whether the destination stopped answering and is held back at <paramref name="now"/> (<see cref="UnansweredBackoff"/>).</summary>
    public bool IsHeldBack(long now) => _backoff.IsHeldBack(now, InFlight);

    /// <summary>When a request that took <paramref name="elapsed"/> until <paramref name="now"/> was sent.</summary>
    private long SentAt(long now, TimeSpan elapsed) => now - (long)(elapsed.TotalSeconds * Model.Time.TimestampFrequency);

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
