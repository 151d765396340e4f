namespace Gateway.Fleet;

/// <summary>
/// The Kubernetes Horizontal Pod Autoscaler's algorithm (pkg/controller/podautoscaler, autoscaling/v2 behavior),
/// so a local fleet scales as the cluster would:
/// desired = ceil(current x metric / target) per metric, skipped within the tolerance (10%), the largest wins;
/// then stabilization (scale-down takes the highest recommendation of the last window, scale-up the lowest of
/// its window), then the rate limits of the policies measured from the replicas at the start of each period,
/// then min/max.
/// </summary>
public sealed class HpaController(int minReplicas, int maxReplicas, TimeProvider time, double tolerance = 0.1,
    ScalingRules? scaleUp = null, ScalingRules? scaleDown = null)
{
    private readonly List<(DateTimeOffset At, int Replicas)> _recommendations = [];
    private readonly List<(DateTimeOffset At, int Change)> _events = [];

    public ScalingRules ScaleUp { get; } = scaleUp ?? ScalingRules.DefaultScaleUp;

    public ScalingRules ScaleDown { get; } = scaleDown ?? ScalingRules.DefaultScaleDown;

    public int MinReplicas { get; } = minReplicas;

    public int MaxReplicas { get; } = maxReplicas;

    /// <summary>The per-metric proposal: ceil(current x ratio), or current when the ratio is within the tolerance.</summary>
    public static int Proposal(int currentReplicas, HpaMetric metric, double tolerance)
    {
        if (metric.Target <= 0 || double.IsNaN(metric.Current))
        {
            return currentReplicas;
        }

        var ratio = metric.Current / metric.Target;
        return Math.Abs(ratio - 1) <= tolerance ? currentReplicas : (int)Math.Ceiling(currentReplicas * ratio);
    }

    /// <summary>
    /// Decides the replica count for now; call once per sync period. Records the decision for the windows. A
    /// <paramref name="floor"/> (pre-scaling) raises the minimum for this decision, as raising an HPA's minReplicas
    /// does: the count goes to it at once, past the scale-up rate limits, and never above the maximum.
    /// </summary>
    public HpaDecision Decide(int currentReplicas, IReadOnlyList<HpaMetric> metrics, PreScaleFloor? floor = null)
    {
        var now = time.GetUtcNow();
        if (_recommendations.Count == 0)
        {
            // The starting size counts as a (just past) recommendation, so a fleet just started is not scaled down
            // before the scale-down window has seen it; being in the past it never holds back a scale-up.
            _recommendations.Add((now - TimeSpan.FromTicks(1), currentReplicas));
        }

        var proposals = metrics.Select(m => (m.Name, Replicas: Proposal(currentReplicas, m, tolerance))).ToList();
        var recommendation = proposals.Count == 0 ? currentReplicas : proposals.Max(p => p.Replicas);
        var reason = proposals.Count == 0 ? "no metrics" : proposals.MaxBy(p => p.Replicas).Name;

        var stabilized = Stabilize(currentReplicas, recommendation, now);
        _recommendations.Add((now, recommendation));
        _recommendations.RemoveAll(r => now - r.At > TimeSpan.FromSeconds(Math.Max(ScaleUp.StabilizationWindowSeconds, ScaleDown.StabilizationWindowSeconds)));
        var limited = Limit(currentReplicas, stabilized, now);
        var desired = Math.Clamp(limited, Math.Min(Math.Max(MinReplicas, floor?.Replicas ?? 0), MaxReplicas), MaxReplicas);
        if (desired != currentReplicas)
        {
            _events.Add((now, desired - currentReplicas));
        }

        _events.RemoveAll(e => now - e.At > TimeSpan.FromSeconds(LongestPeriod()));
        return new HpaDecision(currentReplicas, recommendation, stabilized, desired, reason, metrics) { PreScale = floor };
    }

    private int Stabilize(int current, int recommendation, DateTimeOffset now)
    {
        var up = recommendation;
        var down = recommendation;
        // As the controller does: earlier recommendations strictly inside each window, this one included.
        foreach (var (at, replicas) in _recommendations)
        {
            if (now - at < TimeSpan.FromSeconds(ScaleUp.StabilizationWindowSeconds))
            {
                up = Math.Min(up, replicas);
            }

            if (now - at < TimeSpan.FromSeconds(ScaleDown.StabilizationWindowSeconds))
            {
                down = Math.Max(down, replicas);
            }
        }

        var result = current;
        if (result < up)
        {
            result = up;
        }

        if (result > down)
        {
            result = down;
        }

        return result;
    }

    private int Limit(int current, int desired, DateTimeOffset now)
    {
        if (desired > current && ScaleUp.Policies.Count > 0)
        {
            var limit = ScaleUp.Policies.Max(p =>
            {
                var start = current - Changes(p.PeriodSeconds, now, up: true);
                return p.Type == ScalingPolicyType.Pods ? start + p.Value : (int)Math.Ceiling(start * (1 + (p.Value / 100.0)));
            });
            return Math.Min(desired, limit);
        }

        if (desired < current && ScaleDown.Policies.Count > 0)
        {
            var limit = ScaleDown.Policies.Min(p =>
            {
                var start = current + Changes(p.PeriodSeconds, now, up: false);
                return p.Type == ScalingPolicyType.Pods ? start - p.Value : (int)(start * (1 - (p.Value / 100.0)));
            });
            return Math.Max(desired, limit);
        }

        return desired;
    }

    /// <summary>Replicas added (up) or removed (down) within the last period.</summary>
    private int Changes(double periodSeconds, DateTimeOffset now, bool up) =>
        _events.Where(e => now - e.At < TimeSpan.FromSeconds(periodSeconds) && (up ? e.Change > 0 : e.Change < 0))
            .Sum(e => Math.Abs(e.Change));

    private double LongestPeriod() => ScaleUp.Policies.Concat(ScaleDown.Policies).Select(p => p.PeriodSeconds).DefaultIfEmpty(0).Max();
}

/// <summary>One autoscaler decision with everything that went into it, for the log and the metrics.</summary>
public sealed record HpaDecision(int Current, int Recommendation, int Stabilized, int Desired, string Driver, IReadOnlyList<HpaMetric> Metrics)
{
    /// <summary>The pre-scaling minimum this decision was held to, if any.</summary>
    public PreScaleFloor? PreScale { get; init; }

    public override string ToString() =>
        $"current {Current} -> desired {Desired} (recommended {Recommendation} by {Driver}, stabilized {Stabilized}; " +
        string.Join(", ", Metrics.Select(m => $"{m.Name} {m.Current:0.###}/{m.Target:0.###}")) + ")" +
        (PreScale is null ? "" : $"; {PreScale}");
}
