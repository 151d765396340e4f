namespace Gateway.Fleet;

/// <summary>One HPA scaling policy: change by Value pods or Value percent per PeriodSeconds.</summary>
public sealed record ScalingPolicy(ScalingPolicyType Type, int Value, double PeriodSeconds);

public enum ScalingPolicyType
{
    Pods,
    Percent,
}

/// <summary>
/// One direction of HPA <c>behavior</c> (autoscaling/v2): a stabilization window and the policies limiting the
/// rate of change; with several policies the one allowing the most change wins (<c>selectPolicy: Max</c>).
/// </summary>
public sealed record ScalingRules(double StabilizationWindowSeconds, IReadOnlyList<ScalingPolicy> Policies)
{
    /// <summary>The seeds' HPA: no stabilization up; at most max(100%, 4 pods) more per 15 s.</summary>
    public static ScalingRules DefaultScaleUp { get; } = new(0,
        [new ScalingPolicy(ScalingPolicyType.Percent, 100, 15), new ScalingPolicy(ScalingPolicyType.Pods, 4, 15)]);

    /// <summary>The seeds' HPA: a 300 s stabilization window; at most 10% fewer per 60 s.</summary>
    public static ScalingRules DefaultScaleDown { get; } = new(300, [new ScalingPolicy(ScalingPolicyType.Percent, 10, 60)]);
}
