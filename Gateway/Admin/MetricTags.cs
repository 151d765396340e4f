namespace Gateway.Admin;

/// <summary>Tag keys of the gateway's metrics, in one place.</summary>
public static class MetricTags
{
    public const string Cluster = "cluster";
    public const string Destination = "destination";
    public const string StatusClass = "status_class";
    public const string Policy = "policy";
    public const string Reason = "reason";
    public const string Action = "action";
    public const string Limit = "limit";
    public const string Kind = "kind";
}
