using Microsoft.Extensions.Logging;

namespace Gateway.Discovery;

internal static partial class DiscoveryLog
{
    [LoggerMessage(EventId = 600, Level = LogLevel.Information, Message = "Discovery: cluster {Cluster} now has {Count} destination(s) from {Source}: {Destinations}.")]
    public static partial void Published(ILogger logger, string cluster, int count, string source, string destinations);

    [LoggerMessage(EventId = 601, Level = LogLevel.Warning, Message = "Discovery: cluster {Cluster}: DNS lookup of {Host} failed ({Error}); keeping the last {Count} destination(s).")]
    public static partial void DnsFailed(ILogger logger, string cluster, string host, string error, int count);

    [LoggerMessage(EventId = 602, Level = LogLevel.Warning, Message = "Discovery: cluster {Cluster}: EndpointSlice {Operation} failed ({Error}); keeping the last {Count} destination(s), retrying in {DelaySeconds} s.")]
    public static partial void KubernetesFailed(ILogger logger, string cluster, string operation, string error, int count, double delaySeconds);

    [LoggerMessage(EventId = 603, Level = LogLevel.Debug, Message = "Discovery: cluster {Cluster}: the EndpointSlice watch ended; resuming from resourceVersion {ResourceVersion}.")]
    public static partial void WatchResumed(ILogger logger, string cluster, string resourceVersion);

    [LoggerMessage(EventId = 604, Level = LogLevel.Information, Message = "Discovery: cluster {Cluster}: resourceVersion {ResourceVersion} is gone (410); listing the EndpointSlices again.")]
    public static partial void Relisting(ILogger logger, string cluster, string resourceVersion);

    [LoggerMessage(EventId = 605, Level = LogLevel.Error, Message = "Discovery: cluster {Cluster}: cannot reach the Kubernetes API ({Error}). Outside a cluster set LbProxy.Discovery.{Cluster}.ApiServer (e.g. kubectl proxy's http://127.0.0.1:8001).")]
    public static partial void NoKubernetes(ILogger logger, string cluster, string error);

    [LoggerMessage(EventId = 606, Level = LogLevel.Warning, Message = "Discovery: cluster {Cluster}: EndpointSlice {Slice} has no port matching {Wanted}; its endpoints are skipped.")]
    public static partial void NoMatchingPort(ILogger logger, string cluster, string slice, string wanted);

    [LoggerMessage(EventId = 607, Level = LogLevel.Warning, Message = "Discovery: cluster {Cluster}: the EndpointSlice watch sent an error or an unreadable event ({Error}).")]
    public static partial void WatchEventError(ILogger logger, string cluster, string error);
}
