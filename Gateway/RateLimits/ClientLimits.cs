using System.Diagnostics.Metrics;
using System.Text.Json;
using Gateway.Admin;
using Gateway.Config;

namespace Gateway.RateLimits;

/// <summary>
/// The rate limit rules of the running config, compiled once per config generation. A reload keeps the counters of
/// every rule it leaves unchanged (a client's bucket and its in-flight requests), and starts changed rules afresh
/// (as nginx keeps a zone over a reload).
/// Exported as lbproxy_rate_limit_rejections_total{limit,kind} and lbproxy_rate_limit_limit{limit,kind}.
/// </summary>
internal sealed class ClientLimits
{
    private readonly ConfigState _config;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly Counter<long> _rejections;
    private volatile ClientLimitSet _set = ClientLimitSet.Empty;
    private IReadOnlyDictionary<string, RateLimitRule>? _source;

    public ClientLimits(ConfigState config, IMeterFactory meterFactory, TimeProvider time, string meterName = GatewayMetrics.DefaultMeterName)
    {
        _config = config;
        _time = time;
        var meter = meterFactory.Create(meterName);
        _rejections = meter.CreateCounter<long>("lbproxy_rate_limit_rejections", "{request}",
            "Requests answered 429 by a rate limit rule, by rule and kind (rate, concurrency, connections).");
        meter.CreateObservableGauge("lbproxy_rate_limit_limit", ObserveLimits, null,
            "Configured limits per rule: rate (requests/s), burst, concurrency (requests in flight), connections (per client).");
    }

    /// <summary>The rules in force; one reference comparison per request when the config did not change.</summary>
    public ClientLimitSet Current
    {
        get
        {
            var rules = _config.Current?.Options.RateLimits;
            return ReferenceEquals(rules, _source) ? _set : Rebuild(rules);
        }
    }

    public void RecordRejection(ClientLimit limit, string kind) =>
        _rejections.Add(1, new KeyValuePair<string, object?>(MetricTags.Limit, limit.Name), new KeyValuePair<string, object?>(MetricTags.Kind, kind));

    /// <summary>The /status section: each rule, its limits and what it turned away.</summary>
    public object Report() => Current.All.Select(l => new
    {
        name = l.Name,
        key = l.Rule.Key,
        requestsPerSecond = l.Rule.RequestsPerSecond,
        burst = l.Rule.RequestsPerSecond > 0 && l.Rule.Key != RateLimitRule.FrontKey ? l.Rule.EffectiveBurst : 0, // nginx's: per location
        concurrentRequests = l.Rule.ConcurrentRequests,
        connections = l.Rule.Connections,
        routes = l.Rule.Routes,
        openConnections = l.OpenConnections,
        rejections = new { rate = l.RateRejections, concurrency = l.ConcurrencyRejections, connections = l.ConnectionRejections },
    }).ToList();

    private ClientLimitSet Rebuild(IReadOnlyDictionary<string, RateLimitRule>? rules)
    {
        lock (_lock)
        {
            if (ReferenceEquals(rules, _source))
            {
                return _set;
            }

            var old = _set.All.ToDictionary(l => l.Name, StringComparer.OrdinalIgnoreCase);
            var next = new List<ClientLimit>();
            foreach (var (name, rule) in rules ?? new Dictionary<string, RateLimitRule>())
            {
                if (old.Remove(name, out var kept) && JsonSerializer.Serialize(kept.Rule) == JsonSerializer.Serialize(rule))
                {
                    next.Add(kept);
                }
                else
                {
                    next.Add(new ClientLimit(name, rule, _time));
                }
            }

            _set = next.Count == 0 ? ClientLimitSet.Empty : new ClientLimitSet(next);
            _source = rules;
            return _set;
        }
    }

    private IEnumerable<Measurement<double>> ObserveLimits()
    {
        foreach (var limit in _set.All)
        {
            var rule = limit.Rule;
            var tags = (string kind) => new[] { new KeyValuePair<string, object?>(MetricTags.Limit, limit.Name), new KeyValuePair<string, object?>(MetricTags.Kind, kind) };
            if (rule.RequestsPerSecond > 0)
            {
                yield return new Measurement<double>(rule.RequestsPerSecond, tags(LimitKind.Rate));
                if (rule.Key != RateLimitRule.FrontKey) // an nginx zone's burst is each location's own
                {
                    yield return new Measurement<double>(rule.EffectiveBurst, tags("burst"));
                }
            }

            if (rule.ConcurrentRequests > 0)
            {
                yield return new Measurement<double>(rule.ConcurrentRequests, tags(LimitKind.Concurrency));
            }

            if (rule.Connections > 0)
            {
                yield return new Measurement<double>(rule.Connections, tags(LimitKind.Connections));
            }
        }
    }
}
