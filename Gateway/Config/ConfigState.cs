using Yarp.ReverseProxy.Configuration;

namespace Gateway.Config;

/// <summary>
/// The running config and the outcome of the last reload. <see cref="Apply"/> is the only way a config
/// reaches YARP, so the file, nginx.conf and the embedded default all go through the same door.
/// </summary>
public sealed class ConfigState(InMemoryConfigProvider provider, TimeProvider time)
{
    private readonly Lock _lock = new();
    private volatile ReloadStatus _status = new(null, 0, null, null, []);

    public ReloadStatus Status => _status;

    public GatewayConfig? Current => _status.Config;

    public void Apply(GatewayConfig config)
    {
        lock (_lock)
        {
            provider.Update(config.Routes, config.Clusters);
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
