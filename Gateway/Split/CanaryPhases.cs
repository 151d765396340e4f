namespace Gateway.Split;

/// <summary>The phases of a canary analysis, and the decisions that move between them (metric and event labels).</summary>
internal static class CanaryPhases
{
    public const string Running = "running";
    public const string Promoted = "promoted";
    public const string RolledBack = "rolled-back";

    public const string Start = "start";
    public const string Promote = "promote";
    public const string Hold = "hold";
    public const string Rollback = "rollback";
}
