namespace Gateway.LoadBalancing;

/// <summary>
/// How destination statistics turn samples into estimates: the clock and the time constants that every
/// <see cref="DestinationStats"/> of a gateway (or a simulation) shares.
/// </summary>
public sealed class LatencyModel
{
    public const double DefaultDecaySeconds = 10;
    public const double DefaultFailurePenaltySeconds = 1;
    public const double DefaultQueueDepthHalfLifeSeconds = 1;

    public LatencyModel(TimeProvider? time = null, TimeSpan? decayTime = null, TimeSpan? failurePenalty = null,
        TimeSpan? queueDepthHalfLife = null)
    {
        Time = time ?? TimeProvider.System;
        DecayTime = decayTime ?? TimeSpan.FromSeconds(DefaultDecaySeconds);
        FailurePenalty = failurePenalty ?? TimeSpan.FromSeconds(DefaultFailurePenaltySeconds);
        QueueDepthHalfLife = queueDepthHalfLife ?? TimeSpan.FromSeconds(DefaultQueueDepthHalfLifeSeconds);
    }

    public static LatencyModel Default { get; } = new();

    public TimeProvider Time { get; }

    /// <summary>Peak-EWMA time constant: how fast lower samples pull the estimate down (Finagle default 10 s).</summary>
    public TimeSpan DecayTime { get; }

    /// <summary>A failed request counts as a sample at least this slow.</summary>
    public TimeSpan FailurePenalty { get; }

    /// <summary>A reported queue depth halves in weight every this long without a fresh report.</summary>
    public TimeSpan QueueDepthHalfLife { get; }
}
