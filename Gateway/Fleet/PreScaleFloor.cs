namespace Gateway.Fleet;

/// <summary>The minimum replicas pre-scaling asks for now, and why (shown in the autoscaler's decision).</summary>
public sealed record PreScaleFloor(int Replicas, string Reason)
{
    public override string ToString() => $"pre-scale floor {Replicas}: {Reason}";
}
