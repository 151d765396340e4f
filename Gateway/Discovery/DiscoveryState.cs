using System.Collections.Concurrent;

namespace Gateway.Discovery;

/// <summary>
/// Which discovered clusters have had their first answer (a DNS lookup, an EndpointSlice list). The gateway's
/// /readyz waits for all of them, so a new gateway pod takes traffic only once it knows where to send it.
/// </summary>
public sealed class DiscoveryState
{
    private readonly ConcurrentDictionary<string, bool> _synced = new(StringComparer.OrdinalIgnoreCase);

    public void Expect(string clusterId) => _synced.TryAdd(clusterId, false);

    public void MarkSynced(string clusterId) => _synced[clusterId] = true;

    public bool AllSynced => _synced.Values.All(synced => synced);

    /// <summary>Clusters still waiting for their first answer.</summary>
    public IReadOnlyList<string> Pending => [.. _synced.Where(kv => !kv.Value).Select(kv => kv.Key).Order(StringComparer.Ordinal)];
}
