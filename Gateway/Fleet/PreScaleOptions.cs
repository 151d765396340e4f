namespace Gateway.Fleet;

/// <summary>
/// Predictive pre-scaling (<c>LbProxy.Fleet.Autoscale.PreScale</c>): a time-of-day minimum of replicas, given as a
/// <see cref="Profile"/> or learned from the fleet's request rate over the last <see cref="LearnDays"/> days, applied
/// <see cref="LeadSeconds"/> ahead so the workers are started and warm when the peak arrives (the seeds'
/// PredictiveAutoscaler: replicas = ceil(predicted RPS / RPS per replica)). It only raises the HPA's minimum: load
/// above the prediction still scales up as usual, and after the peak the usual scale-down rules bring the fleet down.
/// </summary>
public sealed record PreScaleOptions
{
    public const double DefaultLeadSeconds = 600;
    public const int DefaultSlotMinutes = 15;

    /// <summary>How long before a higher minimum applies it is raised (workers take time to start and warm up).</summary>
    public double LeadSeconds { get; init; } = DefaultLeadSeconds;

    /// <summary>From each point's time of day until the next, at least its MinReplicas (wrapping at midnight).</summary>
    public IReadOnlyList<PreScalePoint> Profile { get; init; } = [];

    /// <summary>Above 0: learn the rate of each time-of-day slot from this many past days (in memory, or <see cref="HistoryFile"/>).</summary>
    public int LearnDays { get; init; }

    /// <summary>What one worker serves, for the learned profile: minimum = ceil(predicted rate / this).</summary>
    public double ReplicaRps { get; init; }

    /// <summary>The learned profile's resolution.</summary>
    public int SlotMinutes { get; init; } = DefaultSlotMinutes;

    /// <summary>Where the learned rates are kept across restarts (JSON); null = memory only.</summary>
    public string? HistoryFile { get; init; }

    /// <summary>The time zone the profile's times are in (an IANA id such as "Europe/Berlin"); null = UTC.</summary>
    public string? TimeZone { get; init; }
}

/// <summary>One point of a pre-scale profile: from <see cref="At"/> ("HH:mm") on, at least <see cref="MinReplicas"/>.</summary>
public sealed record PreScalePoint(string At, int MinReplicas);
