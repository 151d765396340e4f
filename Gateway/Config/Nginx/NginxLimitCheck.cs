namespace Gateway.Config.Nginx;

/// <summary>
/// One limit_req or limit_conn in force at a location, compiled: the <c>LbProxy.RateLimits</c> rule that counts it,
/// the zone's key, and how nginx answers and logs a request it turns away.
/// </summary>
public sealed record NginxLimitCheck(string RuleName, string Zone, NginxTemplate Key, bool IsRequest, int Status, string LogLevel, int Burst);
