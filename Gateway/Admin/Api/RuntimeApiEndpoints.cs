using System.Text.Json;
using Gateway.Proxy;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy.Model;

namespace Gateway.Admin.Api;

/// <summary>
/// The runtime API on the admin listener (HAProxy's runtime API, nginx Plus's upstream API), under /api/:
/// <list type="bullet">
/// <item>GET /api/clusters, GET /api/clusters/{cluster}, GET /api/clusters/{cluster}/destinations/{destination}</item>
/// <item>PUT .../destinations/{destination}/weight <c>{"weight": 5}</c>, DELETE .../weight (back to the config's)</item>
/// <item>POST .../destinations/{destination}/drain, /disable, /enable</item>
/// </list>
/// State changes are guarded by <see cref="Guard.AdminGuardMiddleware"/>; errors are problem+json.
/// </summary>
internal static class RuntimeApiEndpoints
{
    public const int MaxWeight = 10_000;

    public static IEndpointRouteBuilder MapRuntimeApi(this IEndpointRouteBuilder endpoints, IServiceProvider proxyServices)
    {
        var control = proxyServices.GetRequiredService<RuntimeControl>();
        var api = endpoints.MapGroup("/api/clusters");
        api.MapGet("/", () => Results.Json(new { clusters = control.Clusters().OrderBy(c => c.ClusterId, StringComparer.Ordinal).Select(c => Cluster(control, c)) }));
        api.MapGet("/{cluster}", (string cluster, HttpContext context) =>
            control.FindCluster(cluster) is { } state ? Results.Json(Cluster(control, state)) : (IResult)NotFound(context, cluster, null));
        api.MapGet("/{cluster}/destinations/{destination}", (string cluster, string destination, HttpContext context) =>
            With(control, context, cluster, destination, (c, d) => Results.Json(Destination(control, c, d))));
        api.MapPut("/{cluster}/destinations/{destination}/weight", async (string cluster, string destination, HttpContext context) =>
        {
            var (weight, problem) = await ReadWeightAsync(context);
            return problem ?? With(control, context, cluster, destination, (c, d) =>
            {
                control.SetWeight(c, d, weight);
                return Results.Json(Destination(control, c, d));
            });
        });
        api.MapDelete("/{cluster}/destinations/{destination}/weight", (string cluster, string destination, HttpContext context) =>
            With(control, context, cluster, destination, (c, d) =>
            {
                control.SetWeight(c, d, null);
                return Results.Json(Destination(control, c, d));
            }));
        foreach (var (action, state) in new[] { ("drain", AdminState.Draining), ("disable", AdminState.Disabled), ("enable", AdminState.Enabled) })
        {
            api.MapPost($"/{{cluster}}/destinations/{{destination}}/{action}", (string cluster, string destination, HttpContext context) =>
                With(control, context, cluster, destination, (c, d) =>
                {
                    control.SetState(c, d, state);
                    return Results.Json(Destination(control, c, d));
                }));
        }

        return endpoints;
    }

    private static object Cluster(RuntimeControl control, ClusterState cluster) => new
    {
        id = cluster.ClusterId,
        policy = cluster.Model.Config.LoadBalancingPolicy ?? LoadBalancing.LoadBalancingPolicyNames.RoundRobin,
        destinations = cluster.DestinationsState.AllDestinations.OrderBy(d => d.DestinationId, StringComparer.Ordinal)
            .Select(d => Destination(control, cluster, d)).ToList(),
    };

    private static object Destination(RuntimeControl control, ClusterState cluster, DestinationState destination)
    {
        var stats = control.Stats(cluster, destination);
        var entry = control.Override(cluster, destination);
        return new
        {
            cluster = cluster.ClusterId,
            id = destination.DestinationId,
            address = stats.Address,
            weight = stats.Weight,
            configuredWeight = RuntimeControl.ConfiguredWeight(destination),
            admin = new { state = AdminStateNames.Of(entry, stats.InFlight), weightOverride = entry?.Weight, since = entry?.Since },
            available = cluster.DestinationsState.AvailableDestinations.Contains(destination),
            inFlight = stats.InFlight,
            requests = stats.Requests,
            failures = stats.Failures,
            health = new { active = destination.Health.Active.ToString(), passive = destination.Health.Passive.ToString() },
        };
    }

    private static IResult With(RuntimeControl control, HttpContext context, string clusterId, string destinationId,
        Func<ClusterState, DestinationState, IResult> action)
    {
        if (control.FindCluster(clusterId) is not { } cluster)
        {
            return NotFound(context, clusterId, null);
        }

        return RuntimeControl.FindDestination(cluster, destinationId) is { } destination
            ? action(cluster, destination)
            : NotFound(context, cluster.ClusterId, destinationId);
    }

    private static ProblemResult NotFound(HttpContext context, string cluster, string? destination) => new ProblemResult(StatusCodes.Status404NotFound,
        destination is null ? "Unknown cluster" : "Unknown destination",
        destination is null
            ? $"There is no cluster '{cluster}'. GET /api/clusters lists the clusters of the running config."
            : $"Cluster '{cluster}' has no destination '{destination}'. GET /api/clusters/{cluster} lists its destinations.",
        cluster);

    private static async Task<(int? Weight, IResult? Problem)> ReadWeightAsync(HttpContext context)
    {
        const string Example = "Send {\"weight\": 5}: an integer from 1 to 10000 (to take a destination out of rotation, POST .../drain).";
        try
        {
            using var body = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            if (body.RootElement.ValueKind == JsonValueKind.Object
                && body.RootElement.TryGetProperty("weight", out var value) && value.ValueKind == JsonValueKind.Number
                && value.TryGetInt32(out var weight))
            {
                return weight is >= 1 and <= MaxWeight ? (weight, null)
                    : (null, new ProblemResult(StatusCodes.Status400BadRequest, "Invalid weight", $"The weight {weight} is out of range. {Example}", null));
            }
        }
        catch (JsonException ex)
        {
            return (null, new ProblemResult(StatusCodes.Status400BadRequest, "Invalid JSON", $"The body is not JSON ({ex.Message}). {Example}", null));
        }

        return (null, new ProblemResult(StatusCodes.Status400BadRequest, "Invalid weight", $"The body has no integer \"weight\". {Example}", null));
    }

    /// <summary>An <see cref="IResult"/> of the gateway's problem+json (<see cref="Problems"/>).</summary>
    private sealed class ProblemResult(int status, string title, string detail, string? cluster) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext) =>
            Problems.WriteAsync(httpContext, status, title, detail, cluster, retryAfterSeconds: null);
    }
}
