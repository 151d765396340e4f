using System.Text.Json;
using System.Text.Json.Serialization;
using Yarp.ReverseProxy.Configuration;

namespace Gateway.Config;

/// <summary>
/// Reads a gateway config file (ASP.NET-style JSON: a YARP <c>ReverseProxy</c> section and an optional
/// <c>LbProxy</c> section) into a <see cref="GatewayConfig"/>, or into every problem it has, each with its
/// file position. Unknown properties are errors, so a misspelt option is never silently ignored.
/// </summary>
public static class ConfigFileParser
{
    private static readonly JsonSerializerOptions s_json = new()
    {
        PropertyNameCaseInsensitive = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        // A key given twice is an error, as nginx rejects a directive given twice: which one wins would otherwise
        // depend on the section (the serializer takes the last, a JsonElement section kept both and threw later).
        AllowDuplicateProperties = false,
        Converters = { new JsonStringEnumConverter(), new LenientStringConverter() },
    };

    /// <summary>Parses and validates <paramref name="json"/>; <paramref name="file"/> names it in errors.</summary>
    public static async Task<(GatewayConfig? Config, IReadOnlyList<ConfigError> Errors)> ParseAsync(
        string file, byte[] json, IConfigValidator? yarpValidator)
    {
        JsonPositionIndex positions;
        ConfigFileDto? dto;
        try
        {
            positions = new JsonPositionIndex(json);
            dto = JsonSerializer.Deserialize<ConfigFileDto>(json, s_json);
        }
        catch (JsonException ex)
        {
            return (null, [FromJsonException(file, ex)]);
        }

        if (dto is null)
        {
            return (null, [new ConfigError(file, 1, 1, "the file holds no JSON object.",
                "write an object with a \"ReverseProxy\" section: { \"ReverseProxy\": { \"Routes\": {...}, \"Clusters\": {...} } }.")]);
        }

        var routes = (dto.ReverseProxy?.Routes ?? []).Select(r => r.Value with { RouteId = r.Key }).ToList();
        var clusters = (dto.ReverseProxy?.Clusters ?? [])
            .Select(c => c.Value with { ClusterId = c.Key, LoadBalancingPolicy = ClusterRules.CanonicalPolicy(c.Value.LoadBalancingPolicy) })
            .ToList();
        var fleet = dto.LbProxy?.Fleet;
        if (fleet is not null && !clusters.Any(c => string.Equals(c.ClusterId, fleet.ClusterId, StringComparison.OrdinalIgnoreCase)))
        {
            clusters.Add(FleetRules.DefaultCluster(fleet.ClusterId));
        }

        if (fleet?.GrpcClusterId is { } grpcCluster && !clusters.Any(c => string.Equals(c.ClusterId, grpcCluster, StringComparison.OrdinalIgnoreCase)))
        {
            clusters.Add(FleetRules.DefaultGrpcCluster(grpcCluster));
        }

        var errors = new List<ConfigError>();
        void Report(string path, string problem, string fix)
        {
            var (line, column) = positions.Find(path);
            errors.Add(new ConfigError(file, line, column, problem, fix));
        }

        var clusterIds = clusters.Select(c => c.ClusterId).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var route in routes)
        {
            var path = $"ReverseProxy:Routes:{route.RouteId}";
            if (route.Match is null)
            {
                Report(path, $"route '{route.RouteId}' has no Match.", "add \"Match\": { \"Path\": \"/{**catch-all}\" } (or Hosts).");
                continue;
            }

            if (route.ClusterId is not null && !clusterIds.Contains(route.ClusterId))
            {
                Report(path + ":ClusterId", $"route '{route.RouteId}' sends to cluster '{route.ClusterId}', which is not defined.",
                    $"define it under ReverseProxy:Clusters or use one of: {string.Join(", ", clusterIds)}.");
            }

            // A refused policy is reported here, once, and not again by YARP's validator; a route with both gets both.
            var policyRefused = false;
            if (route.AuthorizationPolicy is { } policy && !string.Equals(policy, "Anonymous", StringComparison.OrdinalIgnoreCase))
            {
                // The gateway authenticates no one, so a policy could never pass; GatewayHost leaves the authorization
                // middleware out of the request path for that reason.
                Report(path + ":AuthorizationPolicy", $"route '{route.RouteId}' asks for authorization policy '{policy}', but the gateway has no authentication schemes or policies.",
                    "remove AuthorizationPolicy (or set it to \"Anonymous\") and authenticate in front of the gateway or in the destinations.");
                policyRefused = true;
            }

            if (route.CorsPolicy is { } cors)
            {
                // YARP would mark the route's endpoint for ASP.NET Core's CORS middleware, which the gateway does not run:
                // every request to the route would fail with a 500.
                Report(path + ":CorsPolicy", $"route '{route.RouteId}' asks for CORS policy '{cors}', but the gateway runs no CORS middleware.",
                    "remove CorsPolicy: the destinations' own Access-Control-* headers pass through (or add them with a ResponseHeader transform).");
                policyRefused = true;
            }

            if (yarpValidator is not null && !policyRefused)
            {
                AddYarpErrors(await yarpValidator.ValidateRouteAsync(route), path, Report);
            }
        }

        var routeIds = routes.Select(r => r.RouteId).ToHashSet(StringComparer.OrdinalIgnoreCase); // splits and rate limits name routes
        var options = ResilienceSection.Bind(dto.LbProxy, clusterIds, s_json, Report) with
        {
            Discovery = DiscoveryRules.Bind(dto.LbProxy?.Discovery, clusterIds, fleet?.ClusterId, "LbProxy:Discovery", Report),
            AccessLog = AccessLog.AccessLogRules.Bind(dto.LbProxy?.AccessLog, routes, file, "LbProxy:AccessLog", Report),
            Admin = dto.LbProxy?.Admin,
            Splits = Split.SplitRules.Bind(dto.LbProxy?.Splits, routeIds, clusterIds, "LbProxy:Splits", Report),
            Listeners = Tls.ListenerRules.Bind(dto.LbProxy?.Listeners, BaseFolder(file), "LbProxy:Listeners", Report),
            RateLimits = RateLimits.RateLimitRules.Bind(dto.LbProxy?.RateLimits, routeIds, "LbProxy:RateLimits", Report),
            Tracing = Tracing.TracingRules.Validate(dto.LbProxy?.Tracing, "LbProxy:Tracing", Report),
            ServerLimits = dto.LbProxy?.ServerLimits ?? new(),
            TrustedProxies = Hardening.TrustedProxiesRules.Bind(dto.LbProxy?.TrustedProxies, "LbProxy:TrustedProxies", Report),
        };
        clusters = clusters.ConvertAll(c => Tls.UpstreamTls.ResolvePaths(c, BaseFolder(file)));
        Hardening.ServerLimitsRules.Validate(dto.LbProxy?.ServerLimits, "LbProxy:ServerLimits", Report);
        clusters = clusters.ConvertAll(c => ClusterDefaults.Apply(c, options.For(c.ClusterId)));
        foreach (var cluster in clusters)
        {
            var path = $"ReverseProxy:Clusters:{cluster.ClusterId}";
            var before = errors.Count;
            ClusterRules.Validate(cluster, path, Report,
                fedByFleet: (fleet is not null && (string.Equals(cluster.ClusterId, fleet.ClusterId, StringComparison.OrdinalIgnoreCase)
                        || string.Equals(cluster.ClusterId, fleet.GrpcClusterId, StringComparison.OrdinalIgnoreCase)))
                    || (dto.LbProxy?.Discovery?.Keys.Contains(cluster.ClusterId, StringComparer.OrdinalIgnoreCase) ?? false));
            if (errors.Count == before && yarpValidator is not null)
            {
                AddYarpErrors(await yarpValidator.ValidateClusterAsync(cluster), path, Report);
            }
        }

        AdaptiveRules.Validate(dto.LbProxy?.Adaptive, "LbProxy:Adaptive", Report);
        FleetRules.Validate(fleet, "LbProxy:Fleet", Report);
        Admin.Guard.AdminGuardRules.Validate(dto.LbProxy?.Admin, "LbProxy:Admin", Report);
        return errors.Count > 0
            ? (null, errors)
            : (new GatewayConfig(routes, clusters, options, file), errors);
    }

    /// <summary>Relative file paths in a config file (certificates) start at the file's folder.</summary>
    private static string BaseFolder(string file) => Path.GetDirectoryName(Path.GetFullPath(file)) ?? Directory.GetCurrentDirectory();

    public static async Task<(GatewayConfig? Config, IReadOnlyList<ConfigError> Errors)> LoadAsync(
        string path, IConfigValidator? yarpValidator)
    {
        byte[] bytes;
        try
        {
            bytes = await File.ReadAllBytesAsync(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return (null, [new ConfigError(path, 0, 0, $"cannot read the file: {ex.Message}",
                "check the path passed to --config and that the file is readable.")]);
        }

        return await ParseAsync(path, bytes, yarpValidator);
    }

    private static void AddYarpErrors(IList<Exception> validation, string path, Action<string, string, string> report)
    {
        foreach (var error in validation)
        {
            report(path, error.Message.TrimEnd('.') + ".", "see the YARP configuration reference for this setting.");
        }
    }

    private static ConfigError FromJsonException(string file, JsonException ex)
    {
        var line = (int)(ex.LineNumber ?? 0) + 1;
        var column = (int)(ex.BytePositionInLine ?? 0) + 1;
        var where = string.IsNullOrEmpty(ex.Path) || ex.Path == "$" ? "" : $" at {ex.Path}";
        var message = ex.Message;
        // The reader's own " Path: ..." / " LineNumber: ..." suffixes repeat what the position already says.
        foreach (var suffix in new[] { " Path:", " LineNumber:" })
        {
            var cut = message.IndexOf(suffix, StringComparison.Ordinal);
            message = cut > 0 ? message[..cut] : message;
        }

        message = message.TrimEnd('.', ' ');
        var fix = message.Contains("could not be mapped", StringComparison.Ordinal)
            ? "check the spelling of the property against the README's config reference, or remove it."
            : message.Contains("Duplicate", StringComparison.OrdinalIgnoreCase)
                ? "keep one of the two entries with that name (names are case-insensitive) and remove the other."
            : message.Contains("could not be converted", StringComparison.Ordinal)
                ? "give the value the type the setting expects (see the README's config reference)."
                : "correct the JSON syntax at that position (a missing comma, quote or bracket is the usual cause).";
        return new ConfigError(file, line, column, $"invalid JSON{where}: {message}.", fix);
    }
}
