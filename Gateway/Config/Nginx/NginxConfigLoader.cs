using Yarp.ReverseProxy.Configuration;

namespace Gateway.Config.Nginx;

/// <summary>
/// nginx.conf to a checked <see cref="GatewayConfig"/>: the translation's own checks (nginx's wording), then YARP's
/// validators over the routes and clusters it made, exactly what start-up, <c>-t</c> and SIGHUP run.
/// </summary>
public static class NginxConfigLoader
{
    public static async Task<(GatewayConfig? Config, string? Error)> LoadAsync(string path, string? prefix, string? globals, IConfigValidator validator)
    {
        GatewayConfig config;
        try
        {
            config = NginxTranslator.TranslateFile(path, prefix, globals);
        }
        catch (NginxConfigException ex)
        {
            return (null, ex.Message);
        }

        foreach (var route in config.Routes)
        {
            if ((await validator.ValidateRouteAsync(route)).FirstOrDefault() is { } error)
            {
                return (null, $"{error.Message} (route {route.RouteId}) in {path}");
            }
        }

        foreach (var cluster in config.Clusters)
        {
            if ((await validator.ValidateClusterAsync(cluster)).FirstOrDefault() is { } error)
            {
                return (null, $"{error.Message} (upstream {cluster.ClusterId}) in {path}");
            }
        }

        return (config, null);
    }
}
