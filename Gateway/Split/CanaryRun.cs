namespace Gateway.Split;

/// <summary>
/// Where one route's canary analysis stands: its phase (<see cref="CanaryPhases"/>), the canary's percent now, and
/// every decision so far (newest last, at most <see cref="DecisionsKept"/>).
/// </summary>
internal sealed record CanaryRun(long RunId, string Stable, string Canary, string Phase, int Step, int CanaryPercent,
    IReadOnlyList<CanaryDecision> Decisions)
{
    public const int DecisionsKept = 20;

    public CanaryRun With(CanaryDecision decision, string phase, int step, int percent) => this with
    {
        Phase = phase,
        Step = step,
        CanaryPercent = percent,
        Decisions = [.. Decisions.Skip(Math.Max(0, Decisions.Count - DecisionsKept + 1)), decision],
    };
}
