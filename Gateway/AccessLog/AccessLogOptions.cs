namespace Gateway.AccessLog;

/// <summary>
/// <c>LbProxy.AccessLog</c>: named logs, and which requests go to which. Off unless a listener or a route names a log
/// (a route's <c>Metadata.AccessLog</c> wins over its listener's, as an nginx location's access_log wins over its
/// server's; <c>off</c> turns it off for that route).
/// </summary>
public sealed record AccessLogOptions
{
    /// <summary>Route metadata key naming the log of the route's requests, or <see cref="Off"/>.</summary>
    public const string RouteMetadataKey = "AccessLog";

    public const string Off = "off";

    /// <summary>Listener key for every listener.</summary>
    public const string AnyListener = "*";

    public const int DefaultQueueLines = 8192;

    /// <summary>The logs, by name.</summary>
    public IReadOnlyDictionary<string, AccessLogFileOptions> Logs { get; init; } = new Dictionary<string, AccessLogFileOptions>();

    /// <summary>Listener (its port, or <see cref="AnyListener"/>) to log name (or <see cref="Off"/>).</summary>
    public IReadOnlyDictionary<string, string> Listeners { get; init; } = new Dictionary<string, string>();

    /// <summary>Lines waiting for the writer at most; past that a line is dropped and counted, the request never waits.</summary>
    public int QueueLines { get; init; } = DefaultQueueLines;

    /// <summary>The log a request on local port <paramref name="port"/> of a route with <paramref name="routeMetadata"/> goes to, or null.</summary>
    public AccessLogFileOptions? Select(int port, IReadOnlyDictionary<string, string>? routeMetadata)
    {
        if (routeMetadata is not null && routeMetadata.TryGetValue(RouteMetadataKey, out var byRoute))
        {
            return Find(byRoute);
        }

        if (Listeners.Count == 0)
        {
            return null;
        }

        return Listeners.TryGetValue(port.ToString(System.Globalization.CultureInfo.InvariantCulture), out var byPort) ? Find(byPort)
            : Listeners.TryGetValue(AnyListener, out var any) ? Find(any) : null;
    }

    private AccessLogFileOptions? Find(string name) =>
        string.Equals(name, Off, StringComparison.OrdinalIgnoreCase) ? null : Logs.GetValueOrDefault(name);
}
