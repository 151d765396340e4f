using Benchmarks.Sim.Scenario;

namespace Benchmarks.Sim.Engine;

/// <summary>
/// The workload: Poisson arrival times (piecewise-constant rate; memorylessness lets a draw that crosses a rate
/// change restart at the boundary), each request's key and its size variates. It has its own seeded stream and
/// draws the same numbers whatever the policy does, so every policy serves the identical request sequence.
/// </summary>
public sealed class ArrivalProcess(SimScenario scenario, int seed)
{
    private readonly Random _random = new(seed);
    private readonly KeySampler _keys = new(scenario.Keys);
    private double _t;

    /// <summary>The next request, or null once the scenario's duration is over.</summary>
    public SimRequest? Next()
    {
        while (true)
        {
            var (rate, until) = scenario.Arrivals.RateAt(_t);
            var next = _t - (Math.Log(1 - _random.NextDouble()) / rate);
            if (next >= until)
            {
                _t = until;
                continue;
            }

            _t = next;
            if (_t >= scenario.Duration)
            {
                return null;
            }

            break;
        }

        var request = new SimRequest
        {
            Arrival = SimClock.Ticks(_t),
            Key = _keys.Next(_random.NextDouble()),
            U = 1 - _random.NextDouble(), // (0, 1]: log(U) stays finite
        };
        request.Z = Normal(_random);
        return request;
    }

    /// <summary>Box-Muller; two uniforms per normal, always, so the stream never depends on a cached spare.</summary>
    internal static double Normal(Random random)
    {
        var u1 = 1 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
