namespace Gateway.Admin.Api;

/// <summary>The admin state as /status, the API and the status page name it, and as the metric encodes it.</summary>
public static class AdminStateNames
{
    public const string Enabled = "enabled";
    public const string Draining = "draining";
    public const string Drained = "drained";
    public const string Disabled = "disabled";

    /// <summary>Draining turns drained once nothing is in flight: the moment to take the backend down.</summary>
    public static string Of(DestinationOverride? entry, long inFlight) => entry?.State switch
    {
        AdminState.Draining => inFlight > 0 ? Draining : Drained,
        AdminState.Disabled => Disabled,
        _ => Enabled,
    };

    /// <summary>lbproxy_destination_admin_state: 0 enabled, 1 draining, 2 drained, 3 disabled.</summary>
    public static long Code(string name) => name switch
    {
        Draining => 1,
        Drained => 2,
        Disabled => 3,
        _ => 0,
    };
}
