using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gateway.Config;

/// <summary>
/// Binds <c>LbProxy.Resilience</c> and each <c>LbProxy.Clusters.ID</c> (a partial override, merged over the
/// defaults property by property) and validates every value.
/// </summary>
internal static class ResilienceSection
{
    // The file was read with comments and trailing commas allowed; a section's raw text is re-read the same way (the
    // fuzzer found a trailing comma in LbProxy.Resilience throwing JsonReaderException out of the loader).
    private static readonly JsonDocumentOptions s_lenient = new() { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip, AllowDuplicateProperties = false };

    public static LbProxyOptions Bind(LbProxySectionDto? dto, ISet<string> clusterIds, JsonSerializerOptions json, Action<string, string, string> report)
    {
        var defaultsNode = dto?.Resilience is { } r ? JsonNode.Parse(r.GetRawText(), documentOptions: s_lenient) : new JsonObject();
        var defaultErrors = 0;
        void ReportDefault(string path, string problem, string fix)
        {
            defaultErrors++;
            report(path, problem, fix);
        }

        var defaults = Deserialize(defaultsNode, "LbProxy:Resilience", json, ReportDefault) ?? new ResilienceOptions();
        Validate(defaults, "LbProxy:Resilience", ReportDefault);

        // A cluster's errors are its own: merged over broken defaults, every default error would be reported
        // again, at a path that does not exist in the file (so at the wrong line), and would hide the cluster's.
        var baseNode = defaultErrors == 0 ? defaultsNode : new JsonObject();

        var clusters = new Dictionary<string, ResilienceOptions>(StringComparer.OrdinalIgnoreCase);
        foreach (var (id, element) in dto?.Clusters ?? [])
        {
            var path = $"LbProxy:Clusters:{id}";
            if (!clusterIds.Contains(id))
            {
                report(path, $"LbProxy.Clusters has settings for cluster '{id}', which is not defined.",
                    $"use a cluster id from ReverseProxy:Clusters ({string.Join(", ", clusterIds)}).");
                continue;
            }

            var overrides = JsonNode.Parse(element.GetRawText(), documentOptions: s_lenient);
            var merged = Merge(baseNode?.DeepClone(), overrides);
            if (Deserialize(merged, path, json, report) is { } options)
            {
                var own = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
                Keys(overrides, "", own);
                Validate(options, path, (at, problem, fix) =>
                {
                    if (own.Contains(at[(path.Length + 1)..]))
                    {
                        report(at, problem, fix);
                    }
                });
                clusters[id] = options;
            }
        }

        return new LbProxyOptions { Adaptive = dto?.Adaptive ?? new AdaptiveOptions(), Resilience = defaults, Clusters = clusters, Fleet = dto?.Fleet };
    }

    private static ResilienceOptions? Deserialize(JsonNode? node, string path, JsonSerializerOptions json, Action<string, string, string> report)
    {
        try
        {
            return node is null ? new ResilienceOptions() : node.Deserialize<ResilienceOptions>(json);
        }
        catch (JsonException ex)
        {
            var at = (ex.Path ?? "$").TrimStart('$').TrimStart('.').Replace('.', ':');
            report(at.Length == 0 ? path : $"{path}:{at}", $"{path.Replace(':', '.')}: {ex.Message.Split(" Path:")[0].TrimEnd('.')}.",
                "check the spelling and type against the README's resilience reference.");
            return null;
        }
    }

    /// <summary>The colon paths of every value an override sets (arrays are values).</summary>
    private static void Keys(JsonNode? node, string prefix, HashSet<string> keys)
    {
        if (node is not JsonObject obj)
        {
            keys.Add(prefix);
            return;
        }

        foreach (var (key, value) in obj)
        {
            Keys(value, prefix.Length == 0 ? key : $"{prefix}:{key}", keys);
        }
    }

    /// <summary>Objects merge key by key; anything else in the override replaces the default.</summary>
    private static JsonNode? Merge(JsonNode? defaults, JsonNode? overrides)
    {
        if (defaults is not JsonObject target || overrides is not JsonObject source)
        {
            return overrides?.DeepClone();
        }

        foreach (var (key, value) in source)
        {
            var existing = target.FirstOrDefault(kv => string.Equals(kv.Key, key, StringComparison.OrdinalIgnoreCase));
            if (existing.Key is not null)
            {
                target.Remove(existing.Key);
            }

            target[existing.Key ?? key] = Merge(existing.Value?.DeepClone(), value);
        }

        return target;
    }

    private static void Validate(ResilienceOptions o, string path, Action<string, string, string> report)
    {
        void Check(bool ok, string name, string rule, object value)
        {
            if (!ok)
            {
                report($"{path}:{name}", $"{path.Replace(':', '.')}.{name.Replace(':', '.')} is {value}; it must be {rule}.", $"set it to {rule}, or remove it for the default.");
            }
        }

        var cb = o.CircuitBreaker;
        Check(cb.FailureRatio is > 0 and <= 1, "CircuitBreaker:FailureRatio", "a ratio above 0 and at most 1", cb.FailureRatio);
        Check(cb.MinimumThroughput >= 2, "CircuitBreaker:MinimumThroughput", "an integer >= 2", cb.MinimumThroughput);
        Check(cb.SamplingDurationSeconds >= 0.5, "CircuitBreaker:SamplingDurationSeconds", "at least 0.5 seconds", cb.SamplingDurationSeconds);
        Check(cb.BreakDurationSeconds >= 0.5, "CircuitBreaker:BreakDurationSeconds", "at least 0.5 seconds", cb.BreakDurationSeconds);
        Check(cb.ConsecutiveFailures >= 0, "CircuitBreaker:ConsecutiveFailures", "an integer >= 0 (0 = off)", cb.ConsecutiveFailures);
        Check(cb.FailureStatusCodes.All(c => c is >= 400 and <= 599), "CircuitBreaker:FailureStatusCodes", "a list of 4xx/5xx status codes", string.Join(",", cb.FailureStatusCodes));
        Check(o.HealthCheck.Rise >= 1, "HealthCheck:Rise", "an integer >= 1", o.HealthCheck.Rise);
        Check(o.HealthCheck.Fall >= 1, "HealthCheck:Fall", "an integer >= 1", o.HealthCheck.Fall);
        var retry = o.Retry;
        Check(retry.MaxTries >= 1, "Retry:MaxTries", "an integer >= 1 (1 = no retries)", retry.MaxTries);
        var unknown = retry.Conditions.Where(c => !RetryOptions.KnownConditions.Contains(c)).ToList();
        Check(unknown.Count == 0, "Retry:Conditions", $"a list of {string.Join(", ", RetryOptions.KnownConditions)}", string.Join(",", unknown));
        Check(retry.TotalTimeoutSeconds >= 0, "Retry:TotalTimeoutSeconds", "seconds >= 0 (0 = no limit)", retry.TotalTimeoutSeconds);
        Check(retry.TryTimeoutSeconds > 0, "Retry:TryTimeoutSeconds", "seconds above 0", retry.TryTimeoutSeconds);
        Check(retry.BufferBodyLimitBytes >= 0, "Retry:BufferBodyLimitBytes", "bytes >= 0 (0 = never keep a body for a retry)", retry.BufferBodyLimitBytes);
        Check(retry.BudgetPercent is >= 0 and <= 100, "Retry:BudgetPercent", "a percent from 0 to 100", retry.BudgetPercent);
        Check(retry.MinRetryConcurrency >= 0, "Retry:MinRetryConcurrency", "an integer >= 0", retry.MinRetryConcurrency);
        Check(o.Timeouts.RouteSeconds >= 0, "Timeouts:RouteSeconds", "seconds >= 0 (0 = none)", o.Timeouts.RouteSeconds);
        Check(o.Timeouts.IdleSeconds > 0, "Timeouts:IdleSeconds", "seconds above 0", o.Timeouts.IdleSeconds);
        var slow = o.SlowStart;
        Check(slow.WindowSeconds >= 0, "SlowStart:WindowSeconds", "seconds >= 0 (0 = off)", slow.WindowSeconds);
        Check(slow.MinWeightPercent is > 0 and <= 100, "SlowStart:MinWeightPercent", "a percent above 0 and at most 100", slow.MinWeightPercent);
        Check(slow.Aggression > 0, "SlowStart:Aggression", "a number above 0", slow.Aggression);
        Check(o.MaxConnectionsPerDestination >= 0, "MaxConnectionsPerDestination", "an integer >= 0 (0 = no cap)", o.MaxConnectionsPerDestination);
        Check(o.QueueSize >= 0, "QueueSize", "an integer >= 0", o.QueueSize);
        Check(o.QueueTimeoutSeconds > 0, "QueueTimeoutSeconds", "seconds above 0", o.QueueTimeoutSeconds);
        Check(o.PanicThresholdPercent is >= 0 and <= 100, "PanicThresholdPercent", "a percent from 0 to 100", o.PanicThresholdPercent);
    }
}
