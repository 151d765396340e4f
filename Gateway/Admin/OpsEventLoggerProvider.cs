using Microsoft.Extensions.Logging;

namespace Gateway.Admin;

/// <summary>
/// Turns the log lines the fleet and the config watcher already write for operators (by their explicit event ids)
/// into <see cref="OpsEvent"/>s, so those features need no second call to report the same thing. Every other line
/// is ignored. <see cref="OpsEventLoggingExtensions.AddOpsEvents"/> lets this provider see those categories at
/// Information whatever the console's level is.
/// </summary>
[ProviderAlias("OpsEvents")]
internal sealed class OpsEventLoggerProvider(OpsEventLog events) : ILoggerProvider
{
    /// <summary>(category, event id) -> kind; the ids are the ones in FleetSupervisor, FleetAutoscaler and ConfigFileWatcher.</summary>
    private static readonly Dictionary<(string Category, int Id), string> s_kinds = new()
    {
        [("Gateway.Config.ConfigFileWatcher", 100)] = OpsEventKinds.ReloadError,
        [("Gateway.Config.ConfigFileWatcher", 102)] = OpsEventKinds.Reload,
        [("Gateway.Config.ConfigFileWatcher", 103)] = OpsEventKinds.Reload,
        [("Gateway.Fleet.FleetSupervisor", 320)] = OpsEventKinds.WorkerReady,
        [("Gateway.Fleet.FleetSupervisor", 321)] = OpsEventKinds.WorkerExited,
        [("Gateway.Fleet.FleetSupervisor", 322)] = OpsEventKinds.WorkerFailed,
        [("Gateway.Fleet.FleetSupervisor", 323)] = OpsEventKinds.WorkerFailed,
        [("Gateway.Fleet.FleetSupervisor", 324)] = OpsEventKinds.CrashLoop,
        [("Gateway.Fleet.FleetSupervisor", 325)] = OpsEventKinds.Draining,
        [("Gateway.Fleet.FleetSupervisor", 326)] = OpsEventKinds.WorkerFailed,
        [("Gateway.Fleet.FleetAutoscaler", 330)] = OpsEventKinds.ScaleUp, // or down: see Kind
    };

    public static IEnumerable<string> Categories => s_kinds.Keys.Select(k => k.Category).Distinct();

    public ILogger CreateLogger(string categoryName) =>
        s_kinds.Keys.Any(k => k.Category == categoryName) ? new CategoryLogger(categoryName, events) : NullLogger.Instance;

    public void Dispose()
    {
    }

    private static string Kind(string category, int id, object? state)
    {
        var kind = s_kinds[(category, id)];
        if (kind == OpsEventKinds.ScaleUp && state is IReadOnlyList<KeyValuePair<string, object?>> fields
            && fields.Any(f => f.Key == "Direction" && Equals(f.Value, "down")))
        {
            return OpsEventKinds.ScaleDown;
        }

        return kind;
    }

    /// <summary>The worker or file the line is about, from the message's named fields.</summary>
    private static string Subject(string category, object? state)
    {
        if (state is IReadOnlyList<KeyValuePair<string, object?>> fields)
        {
            foreach (var name in (string[])["Worker", "Path"])
            {
                if (fields.FirstOrDefault(f => f.Key == name).Value is { } value)
                {
                    return value.ToString() ?? "";
                }
            }
        }

        return category.EndsWith("ConfigFileWatcher", StringComparison.Ordinal) ? "config" : "fleet";
    }

    private sealed class CategoryLogger(string category, OpsEventLog events) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (s_kinds.ContainsKey((category, eventId.Id)))
            {
                events.Add(Kind(category, eventId.Id, state), Subject(category, state), formatter(state, exception));
            }
        }
    }

    private sealed class NullLogger : ILogger
    {
        public static readonly NullLogger Instance = new();

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => false;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
        }
    }
}
