namespace Gateway.LoadBalancing;

/// <summary>
/// The key an nginx <c>hash KEY</c> upstream hashes for this request, evaluated from the configured expression by the
/// nginx front (Gateway.Config.Nginx) before load balancing. Without it the Hash policies read cluster
/// <c>Metadata.HashKey</c> (<see cref="HashKeySpec"/>).
/// </summary>
public sealed class RequestHashKeyFeature(string key)
{
    public string Key { get; } = key;
}
