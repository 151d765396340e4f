using System.Net.Sockets;
using Gateway.Config;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Configuration;

namespace Gateway.Discovery;

/// <summary>
/// DNS discovery for one cluster: resolves the name (a headless Service answers with one A/AAAA record per
/// ready pod) every refresh period and publishes the addresses through <see cref="ConfigState.SetDynamicDestinations"/>,
/// the door the local fleet uses. A removed address only stops getting new requests: YARP lets the requests
/// already sent to it finish. A failed lookup keeps the last answer rather than emptying the cluster;
/// an authoritative "no such name" (NXDOMAIN) empties it.
/// </summary>
/// <remarks>
/// YARP's own DnsDestinationResolver (IDestinationResolver) re-resolves every destination of every cluster, with
/// no per-cluster choice and no lookup seam; this keeps DNS to the clusters that ask for it.
/// </remarks>
internal sealed class DnsDiscovery(string clusterId, DiscoveryOptions options, IHostResolver resolver, ConfigState config,
    DiscoveryState state, TimeProvider time, ILogger<DnsDiscovery> logger) : BackgroundService
{
    private Dictionary<string, DestinationConfig>? _published;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.RefreshPeriod, time);
        do
        {
            await RefreshAsync(stoppingToken);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>One lookup; public to the tests, which drive it without a timer.</summary>
    internal async Task RefreshAsync(CancellationToken cancellationToken)
    {
        Dictionary<string, DestinationConfig> destinations;
        try
        {
            destinations = DnsDestinations.From(await resolver.ResolveAsync(options.Host!, cancellationToken), options);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.HostNotFound)
        {
            // An authoritative "no such name": a headless Service with no ready pod. The cluster is empty now.
            destinations = [];
        }
        catch (SocketException ex)
        {
            // No answer (timeout, SERVFAIL): a DNS hiccup must not take every destination away.
            DiscoveryLog.DnsFailed(logger, clusterId, options.Host!, ex.Message, _published?.Count ?? 0);
            return;
        }

        state.MarkSynced(clusterId);
        if (!DestinationSets.Same(_published, destinations))
        {
            config.SetDynamicDestinations(clusterId, destinations);
            _published = destinations;
            DiscoveryLog.Published(logger, clusterId, destinations.Count, "DNS " + options.Host, string.Join(", ", destinations.Keys.Order(StringComparer.Ordinal)));
        }
    }
}
