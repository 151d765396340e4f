namespace Benchmarks.Soak;

/// <summary>The gateway at one point of the soak, with the fleet it reported then.</summary>
public sealed record SoakSample(string Label, ProcessSnapshot Process, IReadOnlyList<int> WorkerPids, IReadOnlyList<int> WorkerPorts)
{
    /// <summary>Children that are not one of the fleet's live workers (an orphaned launcher, a worker the fleet forgot).</summary>
    public int StrayChildren => Process.Children.Count(c => !WorkerPids.Contains(c.Pid));
}
