using System.Globalization;
using Yarp.ReverseProxy.Configuration;

namespace Gateway.AccessLog;

/// <summary>
/// Checks <c>LbProxy.AccessLog</c> and the routes' <c>Metadata.AccessLog</c>: every log has a path and every name used
/// is a defined log (or off); relative paths are taken from the config file's folder.
/// </summary>
internal static class AccessLogRules
{
    public static AccessLogOptions? Bind(AccessLogOptions? section, IReadOnlyList<RouteConfig> routes, string file, string path,
        Action<string, string, string> report)
    {
        var logs = new Dictionary<string, AccessLogFileOptions>(StringComparer.OrdinalIgnoreCase);
        var folder = Path.GetDirectoryName(Path.GetFullPath(file)) ?? ".";
        foreach (var (name, log) in section?.Logs ?? new Dictionary<string, AccessLogFileOptions>())
        {
            var at = $"{path}:Logs:{name}";
            if (string.Equals(name, AccessLogOptions.Off, StringComparison.OrdinalIgnoreCase) || name == AccessLogOptions.AnyListener)
            {
                report(at, $"an access log cannot be named '{name}'.", "give it another name, such as \"main\".");
            }
            else if (log is null || string.IsNullOrWhiteSpace(log.Path))
            {
                report(at + ":Path", $"access log '{name}' has no Path.", "set \"Path\": \"/var/log/lbproxy/access.log\" (relative paths are taken from the config file's folder).");
            }
            else if (!Enum.IsDefined(log.Format))
            {
                report(at + ":Format", $"access log '{name}' has Format {log.Format}.", "set \"Format\": \"Combined\" or \"Json\".");
            }
            else
            {
                logs[name] = log with { Path = Path.GetFullPath(Path.Combine(folder, log.Path)) };
            }
        }

        void CheckName(string at, string name, string user)
        {
            if (!string.Equals(name, AccessLogOptions.Off, StringComparison.OrdinalIgnoreCase) && !logs.ContainsKey(name)
                && !(section?.Logs.Keys.Contains(name, StringComparer.OrdinalIgnoreCase) ?? false))
            {
                var defined = logs.Count == 0 ? "none is defined: add one under LbProxy:AccessLog:Logs" : $"use one of: {string.Join(", ", logs.Keys)}";
                report(at, $"{user} names access log '{name}', which is not defined.", $"{defined}, or \"off\".");
            }
        }

        var listeners = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (listener, name) in section?.Listeners ?? new Dictionary<string, string>())
        {
            var at = $"{path}:Listeners:{listener}";
            if (listener != AccessLogOptions.AnyListener
                && !(int.TryParse(listener, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 1 and <= 65535))
            {
                report(at, $"LbProxy.AccessLog.Listeners has key '{listener}'; a listener is its port (1-65535) or \"*\" for every listener.",
                    "write \"8080\": \"main\" or \"*\": \"main\".");
                continue;
            }

            CheckName(at, name ?? "", $"listener '{listener}'");
            listeners[listener] = name ?? "";
        }

        foreach (var route in routes)
        {
            if (route.Metadata?.TryGetValue(AccessLogOptions.RouteMetadataKey, out var name) == true)
            {
                CheckName($"ReverseProxy:Routes:{route.RouteId}:Metadata:{AccessLogOptions.RouteMetadataKey}", name, $"route '{route.RouteId}'");
            }
        }

        var queue = section?.QueueLines ?? AccessLogOptions.DefaultQueueLines;
        if (queue < 1)
        {
            report(path + ":QueueLines", $"LbProxy.AccessLog.QueueLines is {queue}; it must be at least 1.",
                $"set it to {AccessLogOptions.DefaultQueueLines}, or remove it for the default.");
        }

        var usedByRoutes = routes.Any(r => r.Metadata?.ContainsKey(AccessLogOptions.RouteMetadataKey) == true);
        return logs.Count == 0 && listeners.Count == 0 && !usedByRoutes ? null
            : new AccessLogOptions { Logs = logs, Listeners = listeners, QueueLines = Math.Max(1, queue) };
    }
}
