namespace Gateway.RateLimits;

/// <summary>Checks <c>LbProxy.RateLimits</c>: each rule has a known key, at least one limit, sane numbers and defined routes.</summary>
internal static class RateLimitRules
{
    public static IReadOnlyDictionary<string, RateLimitRule> Bind(Dictionary<string, RateLimitRule>? section, ISet<string> routeIds, string path,
        Action<string, string, string> report)
    {
        var result = new Dictionary<string, RateLimitRule>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, rule) in section ?? [])
        {
            var at = $"{path}:{name}";
            if (rule is null)
            {
                report(at, $"LbProxy.RateLimits.{name} is null.", "write { \"Key\": \"ip\", \"RequestsPerSecond\": 10, \"Burst\": 20 }.");
                continue;
            }

            var errors = 0;
            void Check(bool ok, string field, string problem, string fix)
            {
                if (!ok)
                {
                    errors++;
                    report(field.Length == 0 ? at : $"{at}:{field}", $"LbProxy.RateLimits.{name}{(field.Length == 0 ? "" : "." + field)} {problem}", fix);
                }
            }

            var headerName = rule.Key.StartsWith(RateLimitRule.HeaderKeyPrefix, StringComparison.OrdinalIgnoreCase) ? rule.Key[RateLimitRule.HeaderKeyPrefix.Length..] : null;
            Check(rule.Key is RateLimitRule.IpKey or RateLimitRule.RouteKey || headerName is { Length: > 0 }, "Key", $"is '{rule.Key}'.",
                "use \"ip\" (the client address), \"header:X-Api-Key\" (a request header) or \"route\".");
            Check(rule.RequestsPerSecond is >= 0 and <= 1_000_000 && double.IsFinite(rule.RequestsPerSecond), "RequestsPerSecond",
                $"is {rule.RequestsPerSecond}; it must be from 0 (no rate limit) to 1000000.", "set requests per second, e.g. 10 (0.5 = one every two seconds).");
            Check(rule.Burst >= 0, "Burst", $"is {rule.Burst}; it must be an integer >= 0.", "set it to the requests a client may send at once (0 = one second's worth).");
            Check(rule.Burst == 0 || rule.RequestsPerSecond > 0, "Burst", "is set without RequestsPerSecond.", "set RequestsPerSecond too, or remove Burst.");
            Check(rule.Queue >= 0 && (rule.Queue == 0 || rule.RequestsPerSecond > 0), "Queue", $"is {rule.Queue}; it must be >= 0 and needs RequestsPerSecond.",
                "set how many requests over the rate may wait for their turn (0 = answered 429 at once), with RequestsPerSecond.");
            Check(rule.MaxKeys >= 0 && (rule.MaxKeys == 0 || rule.RequestsPerSecond > 0), "MaxKeys", $"is {rule.MaxKeys}; it must be >= 0 and needs RequestsPerSecond.",
                "set how many keys' rate state to remember (0 = 100000), with RequestsPerSecond.");
            Check(rule.ConcurrentRequests >= 0, "ConcurrentRequests", $"is {rule.ConcurrentRequests}; it must be an integer >= 0.", "set it to 0 (no limit) or the requests a key may have in flight.");
            Check(rule.Connections >= 0, "Connections", $"is {rule.Connections}; it must be an integer >= 0.", "set it to 0 (no limit) or the connections a client address may hold.");
            Check(rule.Connections == 0 || (rule.Key == RateLimitRule.IpKey && rule.Routes.Count == 0), "Connections",
                "is set on a rule keyed by something else than ip, or limited to routes; a connection has no header or route yet.",
                "put Connections in a rule with \"Key\": \"ip\" and no Routes.");
            Check(errors > 0 || rule.RequestsPerSecond > 0 || rule.ConcurrentRequests > 0 || rule.Connections > 0, "",
                "sets no limit.", "set RequestsPerSecond, ConcurrentRequests or Connections.");
            foreach (var route in rule.Routes.Where(r => !routeIds.Contains(r)))
            {
                Check(false, "Routes", $"names route '{route}', which is not defined.", $"use route ids from ReverseProxy:Routes ({string.Join(", ", routeIds)}).");
            }

            if (errors == 0)
            {
                result[name] = rule;
            }
        }

        return result;
    }
}
