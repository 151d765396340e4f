using Gateway.Fleet;
using Gateway.LoadBalancing;
using Yarp.ReverseProxy.Configuration;

namespace Gateway.Config;

/// <summary>The local fleet's cluster when the file does not define it, and the checks of <c>LbProxy.Fleet</c>.</summary>
internal static class FleetRules
{
    /// <summary>Adaptive balancing, active /ready probes every second (so a draining worker leaves quickly), breakers on.</summary>
    public static ClusterConfig DefaultCluster(string id) => new()
    {
        ClusterId = id,
        LoadBalancingPolicy = LoadBalancingPolicyNames.Adaptive,
        HealthCheck = new HealthCheckConfig
        {
            Active = new ActiveHealthCheckConfig { Enabled = true, Interval = TimeSpan.FromSeconds(1), Timeout = TimeSpan.FromSeconds(1) },
        },
        Destinations = new Dictionary<string, DestinationConfig>(),
    };

    /// <summary>
    /// The fleet's gRPC cluster when the file does not define it: the workers' h2c ports, HTTP/2 exactly (on http:// the
    /// default version policy would mean HTTP/1.1), least connections (a gRPC call's length varies; Adaptive's latency
    /// samples would mix unary calls with whatever else goes there). Health follows the HTTP side: a worker leaves both
    /// clusters together when the supervisor takes it out.
    /// </summary>
    public static ClusterConfig DefaultGrpcCluster(string id) => new()
    {
        ClusterId = id,
        LoadBalancingPolicy = LoadBalancingPolicyNames.LeastConnections,
        HttpRequest = new Yarp.ReverseProxy.Forwarder.ForwarderRequestConfig { Version = System.Net.HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact },
        Destinations = new Dictionary<string, DestinationConfig>(),
    };

    public static void Validate(FleetOptions? fleet, string path, Action<string, string, string> report)
    {
        if (fleet is null)
        {
            return;
        }

        void Check(bool ok, string name, string rule, object? value)
        {
            if (!ok)
            {
                report($"{path}:{name}", $"LbProxy.Fleet.{name.Replace(':', '.')} is {value}; it must be {rule}.", $"set it to {rule}, or remove it for the default.");
            }
        }

        var a = fleet.Autoscale;
        Check(fleet.Workers >= 1, "Workers", "an integer >= 1", fleet.Workers);
        Check(fleet.Model is null || File.Exists(fleet.Model), "Model", "the path of an existing .onnx file", fleet.Model);
        Check(fleet.GrpcClusterId is null || !string.Equals(fleet.GrpcClusterId, fleet.ClusterId, StringComparison.OrdinalIgnoreCase),
            "GrpcClusterId", "a cluster other than ClusterId (gRPC goes to the workers' own h2c ports)", fleet.GrpcClusterId);
        Check(fleet.ModelRepository is null || Directory.Exists(fleet.ModelRepository), "ModelRepository", "an existing directory laid out as NAME/VERSION/model.onnx", fleet.ModelRepository);
        Check(fleet.WorkerPath is null || File.Exists(fleet.WorkerPath), "WorkerPath", "the path of an existing ModelWorker.dll", fleet.WorkerPath);
        Check(fleet.StartTimeoutSeconds > 0, "StartTimeoutSeconds", "seconds above 0", fleet.StartTimeoutSeconds);
        Check(fleet.DrainSeconds >= 0, "DrainSeconds", "seconds >= 0", fleet.DrainSeconds);
        Check(fleet.LivenessFailures >= 1, "LivenessFailures", "an integer >= 1", fleet.LivenessFailures);
        Check(a.MinReplicas >= 1, "Autoscale:MinReplicas", "an integer >= 1", a.MinReplicas);
        Check(a.EffectiveMax >= a.MinReplicas, "Autoscale:MaxReplicas", "0 (= max(4, 2 x cores)) or at least MinReplicas", a.MaxReplicas);
        Check(a.SyncPeriodSeconds > 0, "Autoscale:SyncPeriodSeconds", "seconds above 0", a.SyncPeriodSeconds);
        Check(a.Tolerance is >= 0 and < 1, "Autoscale:Tolerance", "a ratio from 0 to below 1", a.Tolerance);
        Check(a.TargetQueueDepth > 0 && a.TargetP95Seconds > 0 && a.TargetCpuPercent > 0, "Autoscale", "positive targets (TargetQueueDepth, TargetP95Seconds, TargetCpuPercent)", "not all positive");
        Check(a.ScaleUpPercent >= 0 && a.ScaleUpPods >= 0 && a.ScaleUpPeriodSeconds > 0, "Autoscale", "scale-up limits >= 0 with a period above 0", "invalid");
        Check(a.ScaleDownPercent is >= 0 and <= 100 && a.ScaleDownPeriodSeconds > 0, "Autoscale", "a scale-down percent 0..100 with a period above 0", "invalid");
        Check(a.ScaleUpStabilizationSeconds >= 0 && a.ScaleDownStabilizationSeconds >= 0, "Autoscale", "stabilization windows >= 0 seconds", "negative");
        if (a.PreScale is { } p)
        {
            Check(p.LeadSeconds is >= 0 and <= 86400, "Autoscale:PreScale:LeadSeconds", "seconds from 0 to 86400", p.LeadSeconds);
            var profile = p.Profile ?? [];
            Check(profile.Count > 0 || p.LearnDays > 0, "Autoscale:PreScale", "a Profile or LearnDays above 0", "neither");
            for (var i = 0; i < profile.Count; i++)
            {
                var point = profile[i];
                Check(PreScaler.ParseTime(point?.At) is not null, $"Autoscale:PreScale:Profile:{i}:At", "a time of day \"HH:mm\"", point?.At);
                Check(point is not null && point.MinReplicas >= 1 && point.MinReplicas <= a.EffectiveMax, $"Autoscale:PreScale:Profile:{i}:MinReplicas",
                    $"an integer from 1 to MaxReplicas ({a.EffectiveMax})", point?.MinReplicas);
            }

            Check(p.LearnDays is >= 0 and <= 60, "Autoscale:PreScale:LearnDays", "days from 0 (off) to 60", p.LearnDays);
            Check(p.LearnDays == 0 || p.ReplicaRps > 0, "Autoscale:PreScale:ReplicaRps", "the requests/s one worker serves (above 0) when LearnDays is set", p.ReplicaRps);
            Check(p.SlotMinutes is >= 1 and <= 1440 && 1440 % p.SlotMinutes == 0, "Autoscale:PreScale:SlotMinutes", "minutes that divide a day (5, 15, 60, ...)", p.SlotMinutes);
            Check(p.TimeZone is null || TimeZoneInfo.TryFindSystemTimeZoneById(p.TimeZone, out _), "Autoscale:PreScale:TimeZone",
                "a time zone id such as \"Europe/Berlin\" (or none for UTC)", p.TimeZone);
        }
    }
}
