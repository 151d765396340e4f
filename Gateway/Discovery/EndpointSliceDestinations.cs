using k8s.Models;
using Yarp.ReverseProxy.Configuration;

namespace Gateway.Discovery;

/// <summary>
/// The destinations a Service's EndpointSlices stand for: one per pod that is ready and not terminating, named
/// by the pod. A pod that is not ready (its /ready probe fails) or terminating (being deleted, its preStop
/// running) is left out: it gets no new requests, and YARP lets the requests it already has finish (the drain).
/// </summary>
internal static class EndpointSliceDestinations
{
    public static Dictionary<string, DestinationConfig> From(IEnumerable<V1EndpointSlice> slices, DiscoveryOptions options, Action<string>? noPort = null)
    {
        var destinations = new Dictionary<string, DestinationConfig>(StringComparer.OrdinalIgnoreCase);
        // IPv4 slices first, then by name: a dual-stack pod is one destination, the same one on every list.
        foreach (var slice in slices.OrderBy(s => s.AddressType == "IPv4" ? 0 : 1).ThenBy(s => s.Metadata?.Name, StringComparer.Ordinal))
        {
            if (Port(slice, options) is not { } port)
            {
                noPort?.Invoke(slice.Metadata?.Name ?? "(unnamed)");
                continue;
            }

            foreach (var endpoint in slice.Endpoints ?? [])
            {
                // The API says a missing "ready" means ready and a missing "terminating" means not terminating.
                var ready = endpoint.Conditions?.Ready ?? true;
                var terminating = endpoint.Conditions?.Terminating ?? false;
                if (!ready || terminating || endpoint.Addresses is not { Count: > 0 } addresses)
                {
                    continue;
                }

                var id = endpoint.TargetRef?.Name ?? addresses[0];
                destinations.TryAdd(id, new DestinationConfig { Address = DestinationAddress.Url(options.Scheme, addresses[0], port) });
            }
        }

        return destinations;
    }

    /// <summary>The slice port named PortName, else numbered Port, else the only one.</summary>
    private static int? Port(V1EndpointSlice slice, DiscoveryOptions options)
    {
        var ports = slice.Ports ?? [];
        var match = options.PortName is { } name ? ports.FirstOrDefault(p => p.Name == name)
            : options.Port > 0 ? ports.FirstOrDefault(p => p.Port == options.Port)
            : ports.Count == 1 ? ports[0] : null;
        return match?.Port;
    }
}
