namespace Gateway.LoadBalancing;

/// <summary>
/// What nginx keeps per peer of an upstream (ngx_http_upstream_rr_peer_t) beyond its configuration: the smooth
/// round-robin's <c>current_weight</c> and <c>effective_weight</c>, and the passive-health counters <c>fails</c>,
/// <c>accessed</c> and <c>checked</c> (seconds, as nginx's <c>ngx_time()</c>). Guarded by the owning
/// <see cref="NginxRoundRobinState"/>'s lock.
/// </summary>
public sealed class NginxPeer
{
    /// <summary>nginx <c>current_weight</c>.</summary>
    public long Current { get; set; }

    /// <summary>nginx <c>effective_weight</c>; -1 until the peer is first seen (then its weight).</summary>
    public int EffectiveWeight { get; set; } = -1;

    /// <summary>nginx <c>fails</c>: failures since the last success that followed a check.</summary>
    public int Fails { get; set; }

    /// <summary>nginx <c>accessed</c>: when the peer last failed (Unix seconds).</summary>
    public long Accessed { get; set; }

    /// <summary>nginx <c>checked</c>: when it last failed, or was picked more than fail_timeout after that (Unix seconds).</summary>
    public long Checked { get; set; }

    /// <summary>The timer that ends a mark (owned by <see cref="NginxPeerMarks"/>), if one was made.</summary>
    internal ITimer? Expiry { get; set; }

    /// <summary>The effective weight, first made the peer's weight (and never above it, should the weight go down).</summary>
    public int Effective(int weight)
    {
        if (EffectiveWeight < 0 || EffectiveWeight > weight)
        {
            EffectiveWeight = weight;
        }

        return EffectiveWeight;
    }
}
