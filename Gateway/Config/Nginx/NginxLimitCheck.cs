namespace Gateway.Config.Nginx;

/// <summary>
/// One limit_req or limit_conn in force at a location, compiled: the <c>LbProxy.RateLimits</c> rule of its zone, the
/// zone's key, this directive's burst and delay (requests; nodelay is delay = burst) or connection number, and how nginx
/// answers and logs a request it turns away.
/// </summary>
public sealed record NginxLimitCheck(string RuleName, string Zone, NginxTemplate Key, bool IsRequest, int Status, string LogLevel, int Burst, int Delay,
    int Connections);
