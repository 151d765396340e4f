using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Gateway.LoadBalancing;

/// <summary>
/// YARP adapter for <see cref="ConsistentHashRing"/>: the key comes from cluster <c>Metadata.HashKey</c>, the
/// optional bound from <c>Metadata.HashBalanceFactor</c> (percent, e.g. 125). A request without the key is
/// balanced round-robin, as nginx's <c>hash</c> does.
/// </summary>
internal sealed class ConsistentHashLoadBalancingPolicy(ClusterSnapshots snapshots) : ILoadBalancingPolicy
{
    private readonly ConditionalWeakTable<ClusterState, ClusterHashState> _states = [];

    public string Name => LoadBalancingPolicyNames.ConsistentHash;

    public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations)
    {
        if (availableDestinations.Count == 0)
        {
            return null;
        }

        var state = _states.GetValue(cluster, static _ => new ClusterHashState());
        var settings = state.For(cluster.Model);
        var snapshot = snapshots.Get(cluster, availableDestinations);
        ulong hash = 0;
        var hashed = settings.Key is not null && settings.Key.TryHash(context, out hash);
        if (snapshot.IsFor(availableDestinations))
        {
            if (!hashed)
            {
                return snapshot.AvailableStates[state.RoundRobin.Pick(snapshot.AvailableStates.Length)];
            }

            var index = snapshot.Ring.Pick(hash, snapshot.IsAvailable, settings.BalanceFactor);
            return index < 0 ? null : snapshot.AllStates[index];
        }

        // A narrower list (a retry's untried destinations): the same ring, walked past the ones left out.
        if (!hashed)
        {
            using var candidates = CandidateMask.OverCandidates(snapshot, availableDestinations, stackalloc bool[CandidateMask.StackLimit]);
            var next = state.RoundRobin.Pick(candidates.Allowed);
            return next < 0 ? availableDestinations[0] : snapshot.AvailableStates[next];
        }

        using var mask = CandidateMask.OverAll(snapshot, availableDestinations, stackalloc bool[CandidateMask.StackLimit]);
        var owner = snapshot.Ring.Pick(hash, mask.Allowed, settings.BalanceFactor);
        return owner < 0 ? availableDestinations[0] : snapshot.AllStates[owner];
    }

    private sealed class ClusterHashState
    {
        private volatile Settings? _settings;

        public RoundRobinSelector RoundRobin { get; } = new();

        public Settings For(ClusterModel model)
        {
            var settings = _settings;
            if (settings is null || !ReferenceEquals(settings.Model, model))
            {
                _settings = settings = Settings.From(model);
            }

            return settings;
        }
    }

    private sealed record Settings(ClusterModel Model, HashKeySpec? Key, double BalanceFactor)
    {
        public static Settings From(ClusterModel model)
        {
            var metadata = model.Config.Metadata;
            HashKeySpec? key = null;
            double factor = 0;
            if (metadata is not null)
            {
                if (metadata.TryGetValue(HashKeySpec.MetadataKey, out var text) && !HashKeySpec.TryParse(text, out key))
                {
                    key = null; // rejected by config validation; never reached with a validated config
                }

                if (metadata.TryGetValue(HashKeySpec.BalanceFactorMetadataKey, out var factorText)
                    && int.TryParse(factorText, NumberStyles.None, CultureInfo.InvariantCulture, out var percent))
                {
                    factor = percent / 100.0;
                }
            }

            return new Settings(model, key, factor);
        }
    }
}
