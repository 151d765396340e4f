using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Gateway.Config.Nginx;

/// <summary>
/// nginx <c>backup</c> servers: they take requests only while no primary server is available. When neither is,
/// every primary is offered again (nginx clears the failure marks when all peers failed, for quick recovery).
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

        var backups = allDestinations.Where(d => IsBackup(d) && IsHealthy(d)).ToList();
        return backups.Count > 0 ? backups : primaries;
    }

    private static bool IsBackup(DestinationState d) =>
        d.Model.Config.Metadata?.TryGetValue(BackupMetadataKey, out var b) == true && b == "true";

    private static bool IsHealthy(DestinationState d) =>
        d.Health.Active != DestinationHealth.Unhealthy && d.Health.Passive != DestinationHealth.Unhealthy;
}
