namespace Benchmarks.Sim.Engine;

/// <summary>One client request (a run makes a million of these; the engine is single-threaded, so no synchronisation).</summary>
public sealed class SimRequest
{
    public long Arrival { get; set; }
    public int Key { get; set; }
    public double U { get; set; } // shared variates, so every policy serves the same request sizes
    public double Z { get; set; }
    public int Destination { get; set; } = -1;
    public long ServiceStart { get; set; }
    public int Slot { get; set; } = -1; // index in the destination's in-service list, for O(1) removal on failure
    public bool Answered { get; set; } // the client has its answer (response, error or timeout)
    public bool GatewayOpen { get; set; } // the gateway has begun it and not yet completed or abandoned it
    public bool Finished { get; set; } // the destination is done with it
    public bool Other { get; init; } // sent by another client: takes a server and a queue place, invisible to the gateway
}
