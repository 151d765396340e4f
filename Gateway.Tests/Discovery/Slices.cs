using k8s.Models;

namespace Gateway.Tests.Discovery;

/// <summary>EndpointSlices as the EndpointSlice controller writes them, for tests.</summary>
internal static class Slices
{
    public const string Service = "workers";

    /// <summary>
    /// One pod in a slice of its own: the test backends all listen on 127.0.0.1, so each needs its own port,
    /// and a slice carries one port list for all its endpoints.
    /// </summary>
    public static V1EndpointSlice ForPod(string pod, Uri backend, bool? ready = true, bool? terminating = false) =>
        Of($"{Service}-{pod}", "IPv4", [Port("http", backend.Port)], Pod(pod, backend.Host, ready, terminating));

    public static V1EndpointSlice Of(string name, string addressType, IList<Discoveryv1EndpointPort> ports, params V1Endpoint[] endpoints) => new()
    {
        ApiVersion = "discovery.k8s.io/v1",
        Kind = "EndpointSlice",
        Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["kubernetes.io/service-name"] = Service } },
        AddressType = addressType,
        Ports = ports,
        Endpoints = endpoints,
    };

    /// <summary>A pod endpoint; ready = its readiness probe passes; terminating = it is being deleted.</summary>
    public static V1Endpoint Pod(string pod, string address, bool? ready = true, bool? terminating = false) => new()
    {
        Addresses = [address],
        Conditions = new V1EndpointConditions { Ready = ready, Serving = ready == true || terminating == true, Terminating = terminating },
        TargetRef = new V1ObjectReference { Kind = "Pod", Name = pod, NamespaceProperty = "default" },
    };

    public static Discoveryv1EndpointPort Port(string name, int port) => new() { Name = name, Port = port, Protocol = "TCP" };
}
