using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Configuration;

namespace Gateway.Config.Nginx;

/// <summary>
/// nginx's signals for a gateway started from nginx.conf: SIGHUP re-reads the file and applies it, keeping the
/// running config (and saying why) when it is bad; SIGQUIT stops gracefully (requests in flight finish); SIGTERM and
/// SIGINT stop fast; SIGUSR1 (reopen logs) is accepted. Listen sockets are bound at start: a reload that changes them
/// is applied for everything else and logged as needing a restart.
/// </summary>
internal sealed partial class NginxReloader(GatewayHostOptions options, ConfigState state, IConfigValidator validator,
    IHostApplicationLifetime lifetime, ILogger<NginxReloader> logger) : IHostedService, IDisposable
{
    private readonly List<PosixSignalRegistration> _signals = [];
    private readonly SemaphoreSlim _reloading = new(1, 1);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (OperatingSystem.IsWindows())
        {
            return Task.CompletedTask;
        }

        _signals.Add(PosixSignalRegistration.Create(PosixSignal.SIGHUP, c =>
        {
            c.Cancel = true;
            _ = ReloadAsync();
        }));
        _signals.Add(PosixSignalRegistration.Create((PosixSignal)3 /* SIGQUIT */, c =>
        {
            c.Cancel = true;
            LogStopping(logger, "SIGQUIT", "gracefully");
            lifetime.StopApplication();
        }));
        foreach (var signal in new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT })
        {
            _signals.Add(PosixSignalRegistration.Create(signal, c =>
            {
                c.Cancel = true;
                LogStopping(logger, signal.ToString(), "fast");
                lifetime.StopApplication();
                // nginx's fast shutdown does not wait for requests in flight.
                _ = Task.Delay(TimeSpan.FromMilliseconds(500)).ContinueWith(_ => Environment.Exit(0), TaskScheduler.Default);
            }));
        }

        _signals.Add(PosixSignalRegistration.Create((PosixSignal)10 /* SIGUSR1 */, c => c.Cancel = true));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    internal async Task ReloadAsync()
    {
        await _reloading.WaitAsync();
        try
        {
            var path = options.NginxConfPath!;
            var (config, error) = await NginxConfigLoader.LoadAsync(path, options.NginxPrefix, options.NginxGlobals, validator);
            var running = state.Current?.Options.Nginx is { } current ? NginxErrorLog.For(current) : null;
            running?.Write("notice", 0, "reconfiguring");
            if (config is null)
            {
                running?.Write("emerg", 0, error!);
                LogReloadFailed(logger, error!, state.Status.Generation);
                state.Reject([new ConfigError(path, 0, 0, error!, "fix nginx.conf and send SIGHUP again.")]);
                return;
            }

            var listens = state.Current?.Options.Nginx?.ListenUrls ?? [];
            if (!listens.SequenceEqual(config.Options.Nginx!.ListenUrls)
                || !Tls.ListenerRules.Same(state.Current?.Options.Listeners ?? [], config.Options.Listeners)) // ssl_* paths, protocols, http2
            {
                LogListenChanged(logger);
            }

            state.Apply(config);
            LogReloaded(logger, path, state.Status.Generation);
        }
        finally
        {
            _reloading.Release();
        }
    }

    public void Dispose()
    {
        foreach (var s in _signals)
        {
            s.Dispose();
        }

        _reloading.Dispose();
    }

    [LoggerMessage(EventId = 700, Level = LogLevel.Information, Message = "reconfiguring: {Path} applied as generation {Generation}")]
    private static partial void LogReloaded(ILogger logger, string path, long generation);

    [LoggerMessage(EventId = 701, Level = LogLevel.Error, Message = "[emerg] {Error}; keeping the running configuration (generation {Generation})")]
    private static partial void LogReloadFailed(ILogger logger, string error, long generation);

    [LoggerMessage(EventId = 702, Level = LogLevel.Warning, Message = "listen sockets changed: they take effect after a restart")]
    private static partial void LogListenChanged(ILogger logger);

    [LoggerMessage(EventId = 703, Level = LogLevel.Information, Message = "{Signal} received, stopping {How}")]
    private static partial void LogStopping(ILogger logger, string signal, string how);
}
