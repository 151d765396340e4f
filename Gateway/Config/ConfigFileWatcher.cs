using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Configuration;

namespace Gateway.Config;

/// <summary>
/// Hot reload: watches the config file (inotify through <see cref="FileSystemWatcher"/>, plus a once-a-second
/// look at size and time in case the watcher misses an editor's rename), waits for writes to settle, then
/// validates the whole file. A valid file is applied; an invalid one is logged, one line per problem, and the
/// running config stays. File events are real-world time, so this watches with the real clock.
/// </summary>
internal sealed partial class ConfigFileWatcher(string path, ConfigState state, IConfigValidator validator,
    ILogger<ConfigFileWatcher> logger) : BackgroundService
{
    internal static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(200);
    internal static readonly TimeSpan Poll = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var full = Path.GetFullPath(path);
        var changed = new SemaphoreSlim(0);
        using var watcher = new FileSystemWatcher(Path.GetDirectoryName(full)!, Path.GetFileName(full))
        {
            NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.FileName | NotifyFilters.CreationTime,
        };
        watcher.Changed += (_, _) => changed.Release();
        watcher.Created += (_, _) => changed.Release();
        watcher.Renamed += (_, _) => changed.Release();
        watcher.EnableRaisingEvents = true;

        var seen = Fingerprint(full);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await changed.WaitAsync(Poll, stoppingToken);
                var now = Fingerprint(full);
                if (now == seen)
                {
                    continue;
                }

                // Let a burst of writes (editors write, truncate, rename) settle before reading.
                await Task.Delay(Settle, stoppingToken);
                while (changed.CurrentCount > 0)
                {
                    await changed.WaitAsync(stoppingToken);
                }

                seen = Fingerprint(full);
                await ReloadAsync();
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    internal async Task ReloadAsync()
    {
        var (config, errors) = await ConfigFileParser.LoadAsync(path, validator);
        if (config is null)
        {
            foreach (var error in errors)
            {
                LogRejected(logger, error.ToString());
            }

            LogKept(logger, path, state.Status.Generation);
            state.Reject(errors);
            return;
        }

        if (state.Current is { } running && running.Options.Adaptive != config.Options.Adaptive)
        {
            LogRestartNeeded(logger, path);
        }

        if (state.Current is { } before && !DiscoveryRules.Same(before.Options.Discovery, config.Options.Discovery))
        {
            LogDiscoveryRestartNeeded(logger, path);
        }

        if (state.Current is { } runningEdge && (!Tls.ListenerRules.Same(runningEdge.Options.Listeners, config.Options.Listeners)
            || runningEdge.Options.Tracing != config.Options.Tracing))
        {
            LogEdgeRestartNeeded(logger, path);
        }

        state.Apply(config);
        LogApplied(logger, path, state.Status.Generation, config.Routes.Count, config.Clusters.Count);
    }

    private static (long, DateTime) Fingerprint(string file)
    {
        var info = new FileInfo(file);
        return info.Exists ? (info.Length, info.LastWriteTimeUtc) : (-1, default);
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Error, Message = "{Error}")]
    private static partial void LogRejected(ILogger logger, string error);

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "Config reload of {Path} rejected; generation {Generation} keeps running.")]
    private static partial void LogKept(ILogger logger, string path, long generation);

    [LoggerMessage(EventId = 102, Level = LogLevel.Information, Message = "Config reloaded from {Path}: generation {Generation}, {Routes} routes, {Clusters} clusters.")]
    private static partial void LogApplied(ILogger logger, string path, long generation, int routes, int clusters);

    [LoggerMessage(EventId = 103, Level = LogLevel.Warning, Message = "{Path}: LbProxy.Adaptive changed; it takes effect at the next restart.")]
    private static partial void LogRestartNeeded(ILogger logger, string path);

    [LoggerMessage(EventId = 110, Level = LogLevel.Warning, Message = "{Path}: LbProxy.Discovery changed; it takes effect at the next restart.")]
    private static partial void LogDiscoveryRestartNeeded(ILogger logger, string path);

    [LoggerMessage(EventId = 118, Level = LogLevel.Warning,
        Message = "{Path}: LbProxy.Listeners or LbProxy.Tracing changed; they take effect at the next restart (certificate files reload by themselves).")]
    private static partial void LogEdgeRestartNeeded(ILogger logger, string path);
}
