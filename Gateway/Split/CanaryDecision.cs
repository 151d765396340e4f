namespace Gateway.Split;

/// <summary>One analysis decision with the two windows it compared.</summary>
internal sealed record CanaryDecision(DateTimeOffset At, string Decision, int CanaryPercent, string Reason, ClusterWindow? Stable,
    ClusterWindow? Canary)
{
    public override string ToString() => $"{Decision} -> canary {CanaryPercent}%: {Reason}";
}
