using System.Globalization;
using Gateway.LoadBalancing;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Config.Nginx;

/// <summary>
/// Turns an upstream plus the proxy settings of the locations that use it into YARP clusters with LbProxy resilience
/// options: one cluster per upstream, or one per distinct set of retry/timeout settings when locations differ (the
/// gateway keeps those per cluster). nginx's passive marking (max_fails/fail_timeout, per server) is counted as nginx
/// counts it by <see cref="NginxPeerMarks"/> (destination metadata), not by the gateway's circuit breakers;
/// proxy_next_upstream is the retry policy. What nginx keeps per upstream (rotation, failure counts and marks, the
/// in-flight counts of least_conn and max_conns, the keepalive cap) the variant clusters of one upstream share: their
/// metadata names the upstream (<see cref="NginxPeerMarks.PeerGroupMetadataKey"/>, one record per server through
/// <see cref="DestinationStatsRegistry.SharedRecordMetadataKey"/>, one idle cap). The name carries the translation's
/// <paramref name="cycle"/>, so a reload starts all of it afresh, as nginx's new configuration cycle does.
/// </summary>
internal sealed class NginxClusterBuilder(long cycle)
{
    private readonly Dictionary<string, (ClusterConfig Cluster, ResilienceOptions Options)> _clusters = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _variants = new(StringComparer.Ordinal);

    public IEnumerable<ClusterConfig> Clusters => _clusters.Values.Select(c => c.Cluster);

    public IReadOnlyDictionary<string, ResilienceOptions> Options => _clusters.ToDictionary(p => p.Value.Cluster.ClusterId, p => p.Value.Options);

    public string ClusterFor(NginxUpstream upstream, NginxScope scope)
    {
        var key = upstream.Name + "\n" + scope.ClusterKey;
        if (_clusters.TryGetValue(key, out var existing))
        {
            return existing.Cluster.ClusterId;
        }

        var variant = _variants[upstream.Name] = _variants.GetValueOrDefault(upstream.Name) + 1;
        var id = variant == 1 ? upstream.Name : $"{upstream.Name}#{variant}";
        _clusters[key] = (Cluster(id, upstream, scope), Resilience(upstream, scope));
        return id;
    }

    private ClusterConfig Cluster(string id, NginxUpstream upstream, NginxScope scope)
    {
        // nginx: an upstream of one server is never marked failed.
        var single = upstream.Servers.Count == 1;
        // Round-robin and random methods skip a down server, so it is left out; the hash methods keep it in their
        // layout (keys map as in nginx) and never pick it.
        var keepDown = upstream.Policy is LoadBalancingPolicyNames.IpHash or LoadBalancingPolicyNames.Hash or LoadBalancingPolicyNames.HashConsistent;
        var destinations = new Dictionary<string, DestinationConfig>(StringComparer.OrdinalIgnoreCase);
        var n = 0;
        foreach (var server in upstream.Servers)
        {
            n++;
            if (server.Down && !keepDown)
            {
                continue;
            }

            var destinationId = $"{n:D2}-{server.Text}";
            var metadata = new Dictionary<string, string>
            {
                [DestinationStatsRegistry.WeightMetadataKey] = server.Weight.ToString(CultureInfo.InvariantCulture),
                [NginxPeerSet.ServerMetadataKey] = server.Text,
                // One server of the upstream in every variant cluster: one record, one peer (nginx's peer of the upstream).
                [DestinationStatsRegistry.SharedRecordMetadataKey] = PeerGroup(upstream) + "\n" + destinationId,
            };
            if (server.Down)
            {
                metadata[NginxPeerSet.DownMetadataKey] = "true";
            }

            if (server.Backup)
            {
                metadata[NginxBackupPolicy.BackupMetadataKey] = "true";
            }

            // nginx keeps max_fails, fail_timeout (whole seconds, as nginx's clock) and max_conns per server.
            metadata[NginxPeerMarks.MaxFailsMetadataKey] = (single ? 0 : server.MaxFails).ToString(CultureInfo.InvariantCulture);
            metadata[NginxPeerMarks.FailTimeoutMetadataKey] = ((long)server.FailTimeoutSeconds).ToString(CultureInfo.InvariantCulture);
            if (server.MaxConns > 0)
            {
                metadata[DestinationStatsRegistry.MaxConnectionsMetadataKey] = server.MaxConns.ToString(CultureInfo.InvariantCulture);
            }

            destinations[destinationId] = new DestinationConfig { Address = server.Address, Metadata = metadata };
        }

        return new ClusterConfig
        {
            ClusterId = id,
            LoadBalancingPolicy = upstream.Policy,
            Destinations = destinations,
            HttpRequest = new ForwarderRequestConfig
            {
                ActivityTimeout = TimeSpan.FromSeconds(scope.ReadTimeoutSeconds),
                Version = System.Net.HttpVersion.Version11,
                VersionPolicy = System.Net.Http.HttpVersionPolicy.RequestVersionExact,
            },
            // nginx has no panic mode: with every server marked failed (or at max_conns) there is no live upstream (502).
            HealthCheck = new HealthCheckConfig { AvailableDestinationsPolicy = NginxBackupPolicy.PolicyName },
            Metadata = upstream.Keepalive
                ? new Dictionary<string, string>
                {
                    ["NginxUpstream"] = upstream.Name,
                    [NginxPeerMarks.PeerGroupMetadataKey] = PeerGroup(upstream),
                    // keepalive N: at most N idle connections kept for the upstream (one worker's cache in nginx), across
                    // its variant clusters.
                    [Gateway.Upstream.LeanForwarderHttpClientFactory.MaxIdleConnectionsMetadataKey] =
                        upstream.KeepaliveConnections.ToString(CultureInfo.InvariantCulture),
                    [Gateway.Upstream.LeanForwarderHttpClientFactory.IdleBudgetGroupMetadataKey] = PeerGroup(upstream),
                }
                : new Dictionary<string, string>
                {
                    ["NginxUpstream"] = upstream.Name,
                    [NginxPeerMarks.PeerGroupMetadataKey] = PeerGroup(upstream),
                    // No keepalive in the upstream: nginx opens a connection per request and closes it after the response.
                    [Gateway.Upstream.UpstreamClientChoice.MetadataKey] = "Sockets",
                    [Gateway.Upstream.LeanForwarderHttpClientFactory.ConnectionReuseMetadataKey] = "off",
                },
        };
    }

    /// <summary>
    /// The upstream's identity, which its variant clusters share: its name (one per config; a <c>proxy_pass</c> to a literal
    /// address is the implicit upstream of that address, one for every location that names it, as in nginx) in this
    /// configuration cycle.
    /// </summary>
    private string PeerGroup(NginxUpstream upstream) =>
        $"nginx upstream {upstream.Name} (cycle {cycle.ToString(CultureInfo.InvariantCulture)})";

    private static ResilienceOptions Resilience(NginxUpstream upstream, NginxScope scope)
    {
        var primary = upstream.Servers.FirstOrDefault(s => !s.Backup) ?? upstream.Servers[0];
        var off = scope.NextUpstream.Contains("off");
        // nginx: one server (and no backup) is never marked failed and never retried; otherwise the tries are the servers
        // that are not down, primary and backup, at most proxy_next_upstream_tries.
        var single = upstream.Servers.Count == 1;
        var live = Math.Max(1, upstream.Servers.Count(s => !s.Down));
        var statusCodes = scope.NextUpstream.Where(c => c.StartsWith("http_", StringComparison.Ordinal))
            .Select(c => int.Parse(c.AsSpan(5), CultureInfo.InvariantCulture)).Where(c => c is 500 or 502 or 503 or 504 or 429).ToList();
        return new ResilienceOptions
        {
            CircuitBreaker = new CircuitBreakerOptions
            {
                Enabled = false, // nginx's max_fails/fail_timeout are NginxPeerMarks' (destination metadata), counted as nginx counts them
                ConsecutiveFailures = Math.Max(1, primary.MaxFails),
                FailureRatio = 1,
                MinimumThroughput = int.MaxValue,
                SamplingDurationSeconds = Math.Max(1, primary.FailTimeoutSeconds),
                BreakDurationSeconds = Math.Max(0.5, primary.FailTimeoutSeconds),
                FailureStatusCodes = statusCodes,
                RetriedStatusesOnly = true,
            },
            Retry = new RetryOptions
            {
                // nginx: tries 0 = as many as there are servers; "off" = one try.
                MaxTries = off || single ? 1 : scope.Tries > 0 ? Math.Min(scope.Tries, live) : live,
                Conditions = off ? [] : [.. scope.NextUpstream.Where(c => c != "non_idempotent")],
                TotalTimeoutSeconds = scope.NextUpstreamTimeoutSeconds,
                TryTimeoutSeconds = scope.ReadTimeoutSeconds,
                // nginx has no retry budget: every failed try may go to the next server.
                BudgetPercent = 100,
                MinRetryConcurrency = int.MaxValue,
            },
            // Per server (metadata); a server without max_conns is unlimited.
            MaxConnectionsPerDestination = upstream.Servers.Any(s => s.MaxConns > 0) ? int.MaxValue : 0,
            QueueSize = 0, // nginx does not queue for max_conns (the commercial "queue" directive does)
            HealthCheck = new ActiveHealthOptions(),
        };
    }
}
