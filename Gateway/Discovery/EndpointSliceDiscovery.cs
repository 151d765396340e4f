using System.Net;
using Gateway.Config;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Configuration;

namespace Gateway.Discovery;

/// <summary>
/// EndpointSlice discovery for one cluster, the way Kubernetes controllers follow objects: list the Service's
/// slices (label kubernetes.io/service-name), publish, then watch from the list's resourceVersion and publish
/// after every change. A watch that ends or breaks resumes from the last resourceVersion seen; one the server
/// no longer has (410 Gone) is replaced by a fresh list. While the API is unreachable the last destinations stay.
/// Destinations go through <see cref="ConfigState.SetDynamicDestinations"/>, the door the local fleet uses.
/// </summary>
internal sealed class EndpointSliceDiscovery(string clusterId, DiscoveryOptions options, ConfigState config, DiscoveryState state,
    TimeProvider time, ILogger<EndpointSliceDiscovery> logger) : BackgroundService
{
    /// <summary>The server ends each watch after this long (a clean end, resumed at once), well inside HTTP timeouts.</summary>
    private const int WatchTimeoutSeconds = 300;

    private static readonly TimeSpan s_firstRetry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_maxRetry = TimeSpan.FromSeconds(30);

    private readonly Dictionary<string, V1EndpointSlice> _slices = new(StringComparer.Ordinal);
    private Dictionary<string, DestinationConfig>? _published;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        KubernetesClientConfiguration clientConfig;
        try
        {
            clientConfig = options.ApiServer is { } server
                ? new KubernetesClientConfiguration { Host = server }
                : KubernetesClientConfiguration.InClusterConfig();
        }
        catch (k8s.Exceptions.KubeConfigException ex)
        {
            DiscoveryLog.NoKubernetes(logger, clusterId, ex.Message);
            return;
        }

        var ns = options.Namespace ?? clientConfig.Namespace ?? "default";
        var selector = $"kubernetes.io/service-name={options.Service}";
        using var client = new Kubernetes(clientConfig);
        string? resourceVersion = null;
        var retry = s_firstRetry;
        while (!stoppingToken.IsCancellationRequested)
        {
            var operation = "list";
            try
            {
                if (resourceVersion is null)
                {
                    var list = await client.DiscoveryV1.ListNamespacedEndpointSliceAsync(ns, labelSelector: selector, cancellationToken: stoppingToken);
                    _slices.Clear();
                    foreach (var slice in list.Items)
                    {
                        _slices[slice.Metadata.Name] = slice;
                    }

                    resourceVersion = list.Metadata.ResourceVersion;
                    Publish();
                    state.MarkSynced(clusterId);
                    retry = s_firstRetry;
                }

                operation = "watch";
                var gone = false;
                var events = client.DiscoveryV1.WatchListNamespacedEndpointSliceAsync(ns, labelSelector: selector, resourceVersion: resourceVersion,
                    allowWatchBookmarks: true, timeoutSeconds: WatchTimeoutSeconds, onError: ex => gone |= OnWatchError(ex), cancellationToken: stoppingToken);
                await foreach (var (type, slice) in events)
                {
                    Apply(type, slice);
                    resourceVersion = slice.Metadata?.ResourceVersion ?? resourceVersion;
                    retry = s_firstRetry;
                }

                if (gone)
                {
                    DiscoveryLog.Relisting(logger, clusterId, resourceVersion ?? "");
                    resourceVersion = null;
                }
                else
                {
                    // The server closes every watch after a while (its timeout); carry on from where it stopped.
                    DiscoveryLog.WatchResumed(logger, clusterId, resourceVersion ?? "");
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested && IsTransient(ex))
            {
                if (IsGone(ex))
                {
                    DiscoveryLog.Relisting(logger, clusterId, resourceVersion ?? "");
                    resourceVersion = null;
                    continue;
                }

                DiscoveryLog.KubernetesFailed(logger, clusterId, operation, ex.GetBaseException().Message, _published?.Count ?? 0, retry.TotalSeconds);
                await Task.Delay(retry, time, stoppingToken);
                retry = TimeSpan.FromTicks(Math.Min(s_maxRetry.Ticks, retry.Ticks * 2));
            }
        }
    }

    private void Apply(WatchEventType type, V1EndpointSlice slice)
    {
        var name = slice.Metadata?.Name;
        switch (type)
        {
            case WatchEventType.Added or WatchEventType.Modified when name is not null:
                _slices[name] = slice;
                break;
            case WatchEventType.Deleted when name is not null:
                _slices.Remove(name);
                break;
            default:
                return; // bookmarks only move the resourceVersion on
        }

        Publish();
    }

    private void Publish()
    {
        var wanted = options.PortName ?? (options.Port > 0 ? options.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) : "the only port");
        var destinations = EndpointSliceDestinations.From(_slices.Values, options, slice => DiscoveryLog.NoMatchingPort(logger, clusterId, slice, wanted));
        if (!DestinationSets.Same(_published, destinations))
        {
            config.SetDynamicDestinations(clusterId, destinations);
            _published = destinations;
            DiscoveryLog.Published(logger, clusterId, destinations.Count, $"EndpointSlices of {options.Service}",
                string.Join(", ", destinations.Select(d => $"{d.Key}={d.Value.Address}").Order(StringComparer.Ordinal)));
        }
    }

    /// <summary>An ERROR event or an event the client could not read; true when it says the resourceVersion is gone.</summary>
    private bool OnWatchError(Exception ex)
    {
        if (IsGone(ex))
        {
            return true;
        }

        DiscoveryLog.WatchEventError(logger, clusterId, ex.Message);
        return false;
    }

    private static bool IsGone(Exception ex) => ex switch
    {
        KubernetesException k => k.Status?.Code == (int)HttpStatusCode.Gone,
        HttpOperationException h => h.Response?.StatusCode == HttpStatusCode.Gone,
        _ => false,
    };

    /// <summary>Anything the network or the API server can throw; programming errors still surface.</summary>
    private static bool IsTransient(Exception ex) =>
        ex is HttpRequestException or IOException or HttpOperationException or KubernetesException or OperationCanceledException
            or System.Text.Json.JsonException or TimeoutException;
}
