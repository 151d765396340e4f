namespace Benchmarks.Sim.Engine;

/// <summary>An entry of the event queue; <see cref="Arg"/> is a destination or scenario-event index.</summary>
public readonly record struct SimEvent(SimEventKind Kind, SimRequest? Request, int Arg, bool Flag = false);
