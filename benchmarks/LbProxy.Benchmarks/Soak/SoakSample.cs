namespace Benchmarks.Soak;

/// <summary>The gateway at one point of the soak, with the fleet it reported then.</summary>
public sealed record SoakSample(string Label, ProcessSnapshot Process, IReadOnlyList<int> WorkerPids, IReadOnlyList<int> WorkerPorts)
{
    /// <summary>Children that are not one of the fleet's live workers (an orphaned launcher, a worker the fleet forgot).</summary>
    /// <summary>Worker processes that are running (a worker just killed may still be listed by the fleet, or be a zombie).</summary>
    public int LiveChildren => Process.Children.Count(c => c.State != 'Z');

    public int StrayChildren => Process.Children.Count(c => !WorkerPids.Contains(c.Pid));
}
