using System.Collections.Concurrent;
using System.Text.Json;
using Gateway.Config;

namespace Gateway.Split;

/// <summary>
/// Every route's split, read by <see cref="SplitMiddleware"/> on each request and set by the config (through
/// <see cref="ConfigState"/>, followed by reference: a new config object is the only signal of a reload), the admin
/// API and the canary analysis. A split set through the API outlives reloads that leave the file's split for that
/// route as it was; a reload that changes the file's split for a route replaces it (the file is the newer intent).
/// The map is an immutable snapshot swapped under a lock: readers never lock.
/// </summary>
internal sealed class TrafficSplits(ConfigState config, TimeProvider time)
{
    public const string FromConfig = "config";
    public const string FromApi = "api";
    public const string FromAnalysis = "analysis";

    private readonly Lock _lock = new();
    private volatile Dictionary<string, RouteSplit> _splits = new(StringComparer.OrdinalIgnoreCase);
    private Dictionary<string, string> _fileSplits = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _setByApi = new(StringComparer.OrdinalIgnoreCase);
    private volatile GatewayConfig? _seen;
    private long _runIds;

    /// <summary>The canary analysis' progress per route, for /status.</summary>
    public ConcurrentDictionary<string, CanaryRun> Runs { get; } = new(StringComparer.OrdinalIgnoreCase);

    public TimeProvider Time => time;

    /// <summary>The route's split, or null when it has none (the request stays on the route's cluster).</summary>
    public RouteSplit? Find(string routeId)
    {
        var splits = Current();
        return splits.Count == 0 ? null : splits.GetValueOrDefault(routeId);
    }

    public IReadOnlyCollection<RouteSplit> All => Current().Values;

    /// <summary>Sets a route's split from the admin API: a new run (a canary analysis, if any, starts again).</summary>
    public RouteSplit Set(string routeId, SplitOptions options)
    {
        lock (_lock)
        {
            SyncLocked();
            var split = new RouteSplit(routeId, options, FromApi, time.GetUtcNow(), ++_runIds);
            Publish(split);
            _setByApi.Add(routeId);
            return split;
        }
    }

    /// <summary>Drops the API's split of a route: the file's split (or none) applies again. False when the API had set none.</summary>
    public bool Reset(string routeId)
    {
        lock (_lock)
        {
            SyncLocked();
            if (!_setByApi.Remove(routeId))
            {
                return false;
            }

            var next = new Dictionary<string, RouteSplit>(_splits, StringComparer.OrdinalIgnoreCase);
            next.Remove(routeId);
            if (config.Current?.Options.Splits.GetValueOrDefault(routeId) is { } file)
            {
                next[routeId] = new RouteSplit(routeId, file, FromConfig, time.GetUtcNow(), ++_runIds);
            }

            _splits = next;
            return true;
        }
    }

    /// <summary>A step of the analysis of run <paramref name="runId"/>; ignored (null) when that run was replaced meanwhile.</summary>
    public RouteSplit? Step(string routeId, long runId, IReadOnlyDictionary<string, int> weights)
    {
        lock (_lock)
        {
            if (_splits.GetValueOrDefault(routeId) is not { } current || current.RunId != runId)
            {
                return null;
            }

            var split = new RouteSplit(routeId, current.Options with { Weights = weights }, FromAnalysis, time.GetUtcNow(), runId);
            Publish(split);
            return split;
        }
    }

    private Dictionary<string, RouteSplit> Current()
    {
        if (!ReferenceEquals(config.Current, _seen))
        {
            lock (_lock)
            {
                SyncLocked();
            }
        }

        return _splits;
    }

    private void SyncLocked()
    {
        var current = config.Current;
        if (ReferenceEquals(current, _seen))
        {
            return;
        }

        var routes = (current?.Routes ?? []).Select(r => r.RouteId).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var file = current?.Options.Splits ?? new Dictionary<string, SplitOptions>();
        var fileSplits = file.ToDictionary(kv => kv.Key, kv => JsonSerializer.Serialize(kv.Value), StringComparer.OrdinalIgnoreCase);
        var next = new Dictionary<string, RouteSplit>(StringComparer.OrdinalIgnoreCase);
        foreach (var (routeId, split) in _splits)
        {
            var changedInFile = fileSplits.GetValueOrDefault(routeId) != _fileSplits.GetValueOrDefault(routeId);
            if (routes.Contains(routeId) && !changedInFile && (_setByApi.Contains(routeId) || fileSplits.ContainsKey(routeId)))
            {
                next[routeId] = split;
            }
            else
            {
                _setByApi.Remove(routeId);
            }
        }

        foreach (var (routeId, options) in file)
        {
            if (!next.ContainsKey(routeId))
            {
                next[routeId] = new RouteSplit(routeId, options, FromConfig, time.GetUtcNow(), ++_runIds);
            }
        }

        _fileSplits = fileSplits;
        _splits = next;
        _seen = current;
    }

    private void Publish(RouteSplit split) =>
        _splits = new Dictionary<string, RouteSplit>(_splits, StringComparer.OrdinalIgnoreCase) { [split.RouteId] = split };
}
