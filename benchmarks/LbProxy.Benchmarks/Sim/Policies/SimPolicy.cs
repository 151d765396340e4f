using Benchmarks.Sim.Engine;

namespace Benchmarks.Sim.Policies;

/// <summary>A policy under test: a thin adapter from the simulated cluster to one shipping core (or a baseline).</summary>
public abstract class SimPolicy
{
    public abstract string Name { get; }

    /// <summary>Whether destinations report X-Queue-Depth with each response in this run.</summary>
    public virtual bool ReportsQueueDepth => false;

    /// <summary>Whether the policy places requests by key (so key remapping is reported).</summary>
    public virtual bool HashesKeys => false;

    /// <summary>The chosen destination's index, or -1 when none is available.</summary>
    public abstract int Pick(SimCluster cluster, SimRequest request);
}
