using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Gateway.Config.Nginx;

/// <summary>
/// The servers of an nginx upstream that may take a request: the primaries not marked failed; while none is, the
/// <c>backup</c> servers not marked failed; while none of those either, none (nginx 1.22 answers 502 "no live upstreams"
/// until a mark expires; there is no panic mode).
/// </summary>
internal sealed class NginxBackupPolicy : IAvailableDestinationsPolicy
{
    public const string PolicyName = "NginxBackup";
    public const string BackupMetadataKey = "Backup";

    public string Name => PolicyName;

    public IReadOnlyList<DestinationState> GetAvailalableDestinations(ClusterConfig config, IReadOnlyList<DestinationState> allDestinations)
    {
        var primaries = allDestinations.Where(d => !IsBackup(d)).ToList();
        var healthy = primaries.Where(IsHealthy).ToList();
        if (healthy.Count > 0)
        {
            return healthy;
        }

        return allDestinations.Where(d => IsBackup(d) && IsHealthy(d)).ToList();
    }

    private static bool IsBackup(DestinationState d) =>
        d.Model.Config.Metadata?.TryGetValue(BackupMetadataKey, out var b) == true && b == "true";

    private static bool IsHealthy(DestinationState d) =>
        d.Health.Active != DestinationHealth.Unhealthy && d.Health.Passive != DestinationHealth.Unhealthy;
}
