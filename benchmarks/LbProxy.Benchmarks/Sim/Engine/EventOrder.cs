namespace Benchmarks.Sim.Engine;

/// <summary>Events at the same tick run in the order they were scheduled, so a run never depends on heap internals.</summary>
public readonly record struct EventOrder(long Time, long Sequence)
{
    public static IComparer<EventOrder> Comparer { get; } = Comparer<EventOrder>.Create(static (a, b) =>
    {
        var c = a.Time.CompareTo(b.Time);
        return c != 0 ? c : a.Sequence.CompareTo(b.Sequence);
    });
}
