using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Model;

namespace Gateway.Split;

/// <summary>
/// First in YARP's proxy pipeline: when the matched route has a split, picks the cluster for this request and moves
/// the request there (YARP's <c>ReassignProxyRequest</c> with a route model whose cluster is the chosen one, so
/// session affinity, admission, the policy, breakers, retries and metrics all run for that cluster as if the route
/// named it). YARP has no traffic split of its own (dotnet/yarp#126). A chosen cluster that no longer exists (a
/// reload removed it) leaves the request on the route's own cluster.
/// </summary>
internal sealed class SplitMiddleware(RequestDelegate next, TrafficSplits splits, IProxyStateLookup proxyState)
{
    // One route model per (YARP's route model, target cluster): YARP replaces the route model on a reload, which
    // drops its entries here with it.
    private static readonly ConditionalWeakTable<RouteModel, ConcurrentDictionary<string, RouteModel>> s_routes = new();

    public Task InvokeAsync(HttpContext context)
    {
        var proxy = context.GetReverseProxyFeature();
        var route = proxy.Route;
        if (splits.Find(route.Config.RouteId) is not { } split)
        {
            return next(context);
        }

        var clusterId = split.Choose(context);
        if (!string.Equals(clusterId, route.Cluster?.ClusterId, StringComparison.OrdinalIgnoreCase)
            && proxyState.TryGetCluster(clusterId, out var cluster))
        {
            var models = s_routes.GetValue(route, static _ => new ConcurrentDictionary<string, RouteModel>(StringComparer.OrdinalIgnoreCase));
            if (!models.TryGetValue(clusterId, out var model) || !ReferenceEquals(model.Cluster, cluster))
            {
                models[clusterId] = model = new RouteModel(route.Config, cluster, route.Transformer);
            }

            context.ReassignProxyRequest(model, cluster);
        }

        return next(context);
    }
}
