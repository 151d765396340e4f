namespace Benchmarks.Capacity;

/// <summary>
/// The seeds' capacity calculator (001, "Capacity Planning", <c>calculate_capacity</c>): base replicas = peak RPS /
/// one replica's RPS; plus a spike headroom (20% of base), N+1 redundancy (1 replica) and a failure overhead (the
/// failure rate x base); the total rounded up. Little's law (L = lambda x W) gives the requests in flight at the peak
/// when each takes the latency target; with a per-replica concurrency limit it gives a replica floor of its own.
/// </summary>
public sealed record CapacityPlan(double PeakRps, double LatencyTargetSeconds, double ReplicaRps, double SpikeHeadroom = CapacityPlan.DefaultSpikeHeadroom,
    int Redundancy = CapacityPlan.DefaultRedundancy, double FailureRate = CapacityPlan.DefaultFailureRate, int? ReplicaConcurrency = null)
{
    public const double DefaultSpikeHeadroom = 0.2;
    public const int DefaultRedundancy = 1;
    public const double DefaultFailureRate = 0.01;

    public double BaseReplicas => PeakRps / ReplicaRps;

    public double SpikeReplicas => BaseReplicas * SpikeHeadroom;

    public double FailureReplicas => BaseReplicas * FailureRate;

    /// <summary>The seeds' total: ceil(base + spike + redundancy + failure overhead), never below the Little's-law floor.</summary>
    public int TotalReplicas => Math.Max(FormulaReplicas, ConcurrencyReplicas ?? 0);

    /// <summary>ceil of the seeds' sum (a hair of floating-point error above an integer does not add a replica).</summary>
    public int FormulaReplicas => (int)Math.Ceiling(BaseReplicas + SpikeReplicas + Redundancy + FailureReplicas - 1e-9);

    /// <summary>Little's law: requests in the system at the peak, each spending the latency target in it.</summary>
    public double Concurrency => PeakRps * LatencyTargetSeconds;

    /// <summary>With a per-replica concurrency limit: the replicas needed just to hold <see cref="Concurrency"/> (the seeds' 50 / 10 = 5).</summary>
    public int? ConcurrencyReplicas => ReplicaConcurrency is > 0 and var c ? (int)Math.Ceiling((Concurrency / c) - 1e-9) : null;

    public double ConcurrencyPerReplica => Concurrency / TotalReplicas;

    public double MaxRps => TotalReplicas * ReplicaRps;

    /// <summary>Peak load over total capacity: the seeds advise 60-70%, where queueing stays short.</summary>
    public double UtilizationAtPeak => PeakRps / MaxRps;

    /// <summary>Utilization with one replica lost (N+1 means the peak must still fit).</summary>
    public double UtilizationOneDown => TotalReplicas <= 1 ? double.PositiveInfinity : PeakRps / ((TotalReplicas - 1) * ReplicaRps);

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!(PeakRps > 0))
        {
            errors.Add("--peak-rps must be above 0 (the busiest second's requests per second).");
        }

        if (!(LatencyTargetSeconds > 0))
        {
            errors.Add("--latency-ms must be above 0 (the latency target, e.g. 50).");
        }

        if (!(ReplicaRps > 0))
        {
            errors.Add("--worker-rps must be above 0, or use --measure to measure one ModelWorker.");
        }

        if (SpikeHeadroom < 0 || FailureRate is < 0 or >= 1 || Redundancy < 0)
        {
            errors.Add("--headroom and --redundancy must be >= 0 and --failure-rate from 0 to below 1.");
        }

        return errors;
    }
}
