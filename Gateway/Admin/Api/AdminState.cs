namespace Gateway.Admin.Api;

/// <summary>What the runtime API set for a destination (HAProxy's READY / DRAIN / MAINT, nginx Plus's drain / down).</summary>
public enum AdminState
{
    /// <summary>In rotation (the default; health and breakers still decide).</summary>
    Enabled,

    /// <summary>No new requests; those in flight finish. Shown as draining while any is in flight, then drained.</summary>
    Draining,

    /// <summary>Out of rotation for maintenance; requests in flight still finish (the gateway never cuts one).</summary>
    Disabled,
}
