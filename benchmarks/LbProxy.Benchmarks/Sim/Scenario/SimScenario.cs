using System.Text.Json;
using System.Text.Json.Serialization;

namespace Benchmarks.Sim.Scenario;

/// <summary>A simulation scenario as read from a JSON file in benchmarks/scenarios/.</summary>
public sealed record SimScenario
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public string Name { get; init; } = "";

    public string Description { get; init; } = "";

    public double Duration { get; init; } = 10;

    /// <summary>Client timeout in seconds: the client gives up and the gateway abandons the request (as YARP on client abort).</summary>
    public double Timeout { get; init; } = 1;

    /// <summary>
    /// <c>client</c>: a timed-out request is a client abort, so the gateway calls Abandon (no latency sample),
    /// as ForwardingMiddleware does; <c>gateway</c>: the gateway's own timeout answers 504 and records a failure;
    /// <c>none</c>: nobody gives up, the timeout is only the success threshold (how a load tester that measures
    /// "within 1 s" sees it, and how the proxy in the Linkerd experiment saw the full 2 s answers).
    /// </summary>
    public string TimeoutKind { get; init; } = "client";

    /// <summary>Active health checks notice a dead (or revived) destination this many seconds later.</summary>
    public double HealthCheckDelay { get; init; } = 5;

    /// <summary>Bounded-load factor for <c>consistent-hash-bounded</c> (HAProxy hash-balance-factor / 100).</summary>
    public double BalanceFactor { get; init; } = 1.25;

    /// <summary>Width of a time bucket for requests per destination over time; 0 = duration / 60.</summary>
    public double Bucket { get; init; }

    public int Seed { get; init; } = 1;

    /// <summary>Policies run when the command line names none.</summary>
    public IReadOnlyList<string> Policies { get; init; } = [];

    /// <summary>Published or expected figures, printed under the table for comparison.</summary>
    public string Reference { get; init; } = "";

    public IReadOnlyList<DestinationGroup> Destinations { get; init; } = [];

    public ArrivalSpec Arrivals { get; init; } = new();

    public KeySpec? Keys { get; init; }

    public IReadOnlyList<ScenarioEvent> Events { get; init; } = [];

    [JsonIgnore]
    public double BucketWidth => Bucket > 0 ? Bucket : Duration / 60;

    public static SimScenario Load(string path)
    {
        var scenario = JsonSerializer.Deserialize<SimScenario>(File.ReadAllText(path), JsonOptions)
            ?? throw new InvalidDataException($"{path}: empty scenario");
        if (string.IsNullOrEmpty(scenario.Name))
        {
            scenario = scenario with { Name = Path.GetFileNameWithoutExtension(path) };
        }

        var errors = scenario.Validate().ToList();
        return errors.Count == 0 ? scenario : throw new InvalidDataException($"{path}:\n  " + string.Join("\n  ", errors));
    }

    /// <summary>Every problem at once, each saying how to fix it.</summary>
    public IEnumerable<string> Validate()
    {
        if (Duration <= 0 || Timeout <= 0)
        {
            yield return "duration and timeout must be > 0 seconds";
        }

        if (TimeoutKind is not ("client" or "gateway" or "none"))
        {
            yield return $"timeoutKind must be client, gateway or none, not '{TimeoutKind}'";
        }

        if (Destinations.Count == 0)
        {
            yield return "destinations: give at least one group, e.g. { \"count\": 3, \"servers\": 1, \"serviceTime\": { \"kind\": \"exponential\", \"mean\": 0.01 } }";
        }

        for (var i = 0; i < Destinations.Count; i++)
        {
            foreach (var error in Destinations[i].Validate($"destinations[{i}]"))
            {
                yield return error;
            }
        }

        if (Arrivals.Rate <= 0 || Arrivals.Bursts.Any(b => b.Rate <= 0 || b.Duration <= 0))
        {
            yield return "arrivals: rate and every burst's rate and duration must be > 0";
        }

        if (Keys is { } keys && (keys.Count < 1 || keys.Kind is not ("uniform" or "zipf")))
        {
            yield return "keys: kind uniform or zipf with count >= 1";
        }

        for (var i = 0; i < Events.Count; i++)
        {
            var e = Events[i];
            if (e.Type is not ("slow" or "fail" or "recover" or "add" or "remove" or "others"))
            {
                yield return $"events[{i}]: type must be slow, fail, recover, add, remove or others, not '{e.Type}'";
            }

            if (e.Type == "others" && e.Rate < 0)
            {
                yield return $"events[{i}]: others needs a rate >= 0 (requests per second to each destination; 0 stops them)";
            }

            if (e.Type == "add" && e.Group is null)
            {
                yield return $"events[{i}]: add needs a group (like an entry of destinations)";
            }

            if (e.Type is "slow" or "fail" or "recover" or "remove" or "others" && e.Destinations.Count == 0)
            {
                yield return $"events[{i}]: {e.Type} needs destinations (indexes in creation order)";
            }
        }
    }
}
