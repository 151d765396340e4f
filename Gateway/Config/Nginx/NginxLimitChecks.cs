using System.Globalization;
using Gateway.RateLimits;

namespace Gateway.Config.Nginx;

/// <summary>
/// A level's limit_req / limit_conn as checks on LbProxy.RateLimits rules (key given by the front): one rule per zone,
/// as nginx keeps one state per key per zone, whatever burst, delay or connection number each location gives it. A
/// limit_req_zone is a rule with its rate (nginx's thousandths: 1r/m counts as 16/1000 per second) and as many keys as
/// nginx's memory would hold; a limit_conn_zone a rule with ConcurrentRequests (the largest number any location gives:
/// each check uses its own).
/// </summary>
internal static class NginxLimitChecks
{
    /// <summary>Bytes a key's state takes in nginx's zone (its slab for an address-sized key on 64 bits): a 1m zone holds 8192.</summary>
    public const int StateBytes = 128;

    public static List<NginxLimitCheck> Build(NginxLimits limits, IReadOnlyDictionary<string, NginxLimitZone> zones, Dictionary<string, RateLimitRule> rules)
    {
        var checks = new List<NginxLimitCheck>();
        foreach (var r in limits.Requests)
        {
            var zone = zones.GetValueOrDefault(r.Zone) is { IsRequestZone: true } z ? z
                : throw new NginxConfigException($"zero size shared memory zone \"{r.Zone}\"");
            var name = $"nginx limit_req_zone {zone.Name}";
            rules.TryAdd(name, new RateLimitRule
            {
                Key = RateLimitRule.FrontKey,
                RequestsPerSecond = zone.RequestsPerSecond,
                MaxKeys = (int)Math.Clamp(zone.SizeBytes / StateBytes, 1, int.MaxValue),
            });
            checks.Add(new NginxLimitCheck(name, zone.Name, zone.Key, IsRequest: true, limits.RequestStatus, limits.RequestLogLevel, r.Burst, r.Delay, 0));
        }

        foreach (var c in limits.Connections)
        {
            var zone = zones.GetValueOrDefault(c.Zone) is { IsRequestZone: false } z ? z
                : throw new NginxConfigException($"zero size shared memory zone \"{c.Zone}\"");
            var name = string.Create(CultureInfo.InvariantCulture, $"nginx limit_conn_zone {zone.Name}");
            var largest = Math.Max(c.Limit, rules.GetValueOrDefault(name)?.ConcurrentRequests ?? 0);
            rules[name] = new RateLimitRule { Key = RateLimitRule.FrontKey, ConcurrentRequests = largest };
            checks.Add(new NginxLimitCheck(name, zone.Name, zone.Key, IsRequest: false, limits.ConnectionStatus, limits.ConnectionLogLevel, 0, 0, c.Limit));
        }

        return checks;
    }
}
