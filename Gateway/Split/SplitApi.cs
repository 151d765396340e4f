using System.Text.Json;
using System.Text.Json.Serialization;
using Gateway.Admin;
using Gateway.Config;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy;

namespace Gateway.Split;

/// <summary>
/// The admin port's split endpoints: <c>GET|PUT|DELETE /api/routes/{id}/split</c>. PUT takes the same object as
/// <c>LbProxy.Splits.ID</c> in the file and checks it with the same rules; it applies to the next request. DELETE
/// returns the route to its file's split (or to none). Errors are problem+json.
/// </summary>
internal static partial class SplitApi
{
    private static readonly JsonSerializerOptions s_json = new()
    {
        PropertyNameCaseInsensitive = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public static IEndpointRouteBuilder MapSplitApi(this IEndpointRouteBuilder endpoints, IServiceProvider proxyServices)
    {
        var splits = proxyServices.GetRequiredService<TrafficSplits>();
        var config = proxyServices.GetRequiredService<ConfigState>();
        var proxyState = proxyServices.GetRequiredService<IProxyStateLookup>();
        var events = proxyServices.GetRequiredService<OpsEventLog>();
        var logger = proxyServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SplitApi).FullName!);

        endpoints.MapGet("/api/routes/{id}/split", (string id) =>
            !RouteExists(config, id) ? UnknownRoute(config, id)
            : splits.Find(id) is { } split ? Results.Json(SplitReport.Describe(split, splits, proxyState))
            : Results.Problem($"route '{id}' has no split; its requests all go to its own cluster.", statusCode: StatusCodes.Status404NotFound,
                title: "No split", extensions: Fix("PUT { \"Weights\": { \"stable\": 90, \"canary\": 10 } } to this address to create one.")));

        endpoints.MapPut("/api/routes/{id}/split", async (string id, HttpRequest request) =>
        {
            if (!RouteExists(config, id))
            {
                return UnknownRoute(config, id);
            }

            SplitOptions? options;
            try
            {
                options = await JsonSerializer.DeserializeAsync<SplitOptions>(request.Body, s_json, request.HttpContext.RequestAborted);
            }
            catch (JsonException ex)
            {
                return Results.Problem($"the body is not a split: {ex.Message}", statusCode: StatusCodes.Status400BadRequest, title: "Invalid split",
                    extensions: Fix("send JSON such as { \"Weights\": { \"stable\": 90, \"canary\": 10 }, \"StickyKey\": \"header:X-User-Id\" }."));
            }

            var errors = new List<string>();
            var clusterIds = (config.Current?.Clusters ?? []).Select(c => c.ClusterId).ToHashSet(StringComparer.OrdinalIgnoreCase);
            if (options is null || !SplitRules.Validate(options, "split", "split", clusterIds, (_, problem, fix) => errors.Add($"{problem} Fix: {fix}")))
            {
                return Results.Problem(options is null ? "the body is null." : string.Join(" ", errors), statusCode: StatusCodes.Status400BadRequest,
                    title: "Invalid split", extensions: new Dictionary<string, object?> { ["errors"] = errors });
            }

            var split = splits.Set(id, options);
            var summary = string.Join(", ", split.Sides.Select(s => $"{s.Cluster} {split.Share(s.Cluster) * 100:0.#}%"));
            LogSet(logger, id, summary);
            events.Add(OpsEventKinds.SplitChanged, $"route {id}", $"split set through the admin API: {summary}");
            return Results.Json(SplitReport.Describe(split, splits, proxyState));
        });

        endpoints.MapDelete("/api/routes/{id}/split", (string id) =>
        {
            if (!RouteExists(config, id))
            {
                return UnknownRoute(config, id);
            }

            if (!splits.Reset(id))
            {
                return Results.Problem($"route '{id}' has no split set through the API.", statusCode: StatusCodes.Status404NotFound, title: "No API split");
            }

            LogReset(logger, id);
            events.Add(OpsEventKinds.SplitChanged, $"route {id}", "split set through the admin API removed: the file's applies");
            return Results.NoContent();
        });
        return endpoints;
    }

    private static bool RouteExists(ConfigState config, string id) =>
        config.Current?.Routes.Any(r => string.Equals(r.RouteId, id, StringComparison.OrdinalIgnoreCase)) ?? false;

    private static IResult UnknownRoute(ConfigState config, string id) =>
        Results.Problem($"there is no route '{id}'.", statusCode: StatusCodes.Status404NotFound, title: "Unknown route",
            extensions: Fix($"use one of: {string.Join(", ", (config.Current?.Routes ?? []).Select(r => r.RouteId))}."));

    private static Dictionary<string, object?> Fix(string fix) => new() { ["fix"] = fix };

    [LoggerMessage(EventId = 542, Level = LogLevel.Information, Message = "Route {Route}: split set through the admin API: {Split}.")]
    private static partial void LogSet(ILogger logger, string route, string split);

    [LoggerMessage(EventId = 543, Level = LogLevel.Information, Message = "Route {Route}: the admin API's split removed; the file's applies.")]
    private static partial void LogReset(ILogger logger, string route);
}
