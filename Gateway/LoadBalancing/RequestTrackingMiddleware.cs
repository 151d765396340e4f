using System.Globalization;
using Gateway.Admin;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Gateway.LoadBalancing;

/// <summary>
/// Sits after load balancing in YARP's proxy pipeline: keeps the chosen destination's statistics record
/// (in-flight, completions, failures, latency, reported queue depth) and the request metrics.
/// </summary>
internal sealed class RequestTrackingMiddleware(RequestDelegate next, DestinationStatsRegistry registry, GatewayMetrics metrics)
{
    public const string QueueDepthHeader = "X-Queue-Depth";

    public async Task InvokeAsync(HttpContext context)
    {
        var proxy = context.GetReverseProxyFeature();
        if (proxy.AvailableDestinations.Count != 1)
        {
            await next(context);
            return;
        }

        var destination = proxy.AvailableDestinations[0];
        var stats = registry.Get(destination);
        var time = registry.Model.Time;
        var start = time.GetTimestamp();
        stats.Begin();
        try
        {
            await next(context);
        }
        finally
        {
            Complete(context, proxy.Cluster, destination, stats, time.GetElapsedTime(start));
        }
    }

    private void Complete(HttpContext context, ClusterModel cluster, DestinationState destination, DestinationStats stats, TimeSpan elapsed)
    {
        var error = context.GetForwarderErrorFeature()?.Error ?? ForwarderError.None;
        if (error is ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled)
        {
            // The client went away: says nothing about the destination.
            stats.Abandon();
            return;
        }

        var status = context.Response.StatusCode;
        var failed = error != ForwarderError.None || status >= 500;
        var depth = int.TryParse(context.Response.Headers[QueueDepthHeader], NumberStyles.None, CultureInfo.InvariantCulture, out var d) ? d : -1;
        stats.Complete(elapsed, failed, depth);
        metrics.RecordRequest(cluster.Config.ClusterId, destination.DestinationId, status, elapsed.TotalSeconds);
    }
}
