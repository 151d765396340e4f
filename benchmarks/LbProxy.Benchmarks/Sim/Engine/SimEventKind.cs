namespace Benchmarks.Sim.Engine;

public enum SimEventKind
{
    Arrival,
    ServiceDone,
    Refused,
    Scenario,
    HealthChange,
    Sample,
    OtherArrival,
}
