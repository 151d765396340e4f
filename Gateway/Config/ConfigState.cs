using Yarp.ReverseProxy.Configuration;

namespace Gateway.Config;

/// <summary>
/// The running config and the outcome of the last reload. <see cref="Apply"/> is the only way a config
/// reaches YARP, so the file, nginx.conf and the embedded default all go through the same door.
/// </summary>
public sealed class ConfigState(InMemoryConfigProvider provider, TimeProvider time)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, IReadOnlyDictionary<string, DestinationConfig>> _dynamic = new(StringComparer.OrdinalIgnoreCase);
    private volatile ReloadStatus _status = new(null, 0, null, null, []);

    public ReloadStatus Status => _status;

    public GatewayConfig? Current => _status.Config;

    /// <summary>Raised after every <see cref="Apply"/> (start-up and reloads; not for a fleet's destinations).</summary>
    public event Action? Applied;

    public void Apply(GatewayConfig config)
    {
        lock (_lock)
        {
            Publish(config);
            // Before the new generation shows: whoever sees it (GET /status) also sees what the handlers reset.
            Applied?.Invoke();
            var previous = _status;
            _status = previous with
            {
                Config = config,
                Generation = previous.Generation + 1,
                AppliedAt = time.GetUtcNow(),
                LastErrors = [],
            };
        }
    }

    /// <summary>
    /// Sets the destinations a local fleet contributes to <paramref name="clusterId"/> (workers that answer
    /// /ready); they are merged into that cluster now and on every later reload of the file.
    /// </summary>
    public void SetDynamicDestinations(string clusterId, IReadOnlyDictionary<string, DestinationConfig> destinations)
    {
        lock (_lock)
        {
            _dynamic[clusterId] = destinations;
            if (_status.Config is { } config)
            {
                Publish(config);
            }
        }
    }

    private void Publish(GatewayConfig config)
    {
        var clusters = config.Clusters.Select(c => _dynamic.TryGetValue(c.ClusterId, out var extra) ? c with { Destinations = Merge(c.Destinations, extra) } : c)
            .ToList();
        provider.Update(config.Routes, clusters);
    }

    /// <summary>The file's destinations plus the fleet's; a fleet worker wins a clash of ids (the file cannot name a live worker).</summary>
    private static Dictionary<string, DestinationConfig> Merge(IReadOnlyDictionary<string, DestinationConfig>? file, IReadOnlyDictionary<string, DestinationConfig> fleet)
    {
        var merged = new Dictionary<string, DestinationConfig>(StringComparer.OrdinalIgnoreCase);
        foreach (var (id, destination) in (file ?? new Dictionary<string, DestinationConfig>()).Concat(fleet))
        {
            merged[id] = destination;
        }

        return merged;
    }

    public void Reject(IReadOnlyList<ConfigError> errors)
    {
        lock (_lock)
        {
            _status = _status with { LastErrorAt = time.GetUtcNow(), LastErrors = errors };
        }
    }
}

/// <summary>What /status reports about config: what runs, since when, and what the last failed reload said.</summary>
public sealed record ReloadStatus(
    GatewayConfig? Config,
    long Generation,
    DateTimeOffset? AppliedAt,
    DateTimeOffset? LastErrorAt,
    IReadOnlyList<ConfigError> LastErrors);
