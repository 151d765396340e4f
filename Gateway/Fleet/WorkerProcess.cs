using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Gateway.Fleet;

/// <summary>
/// One ModelWorker process of the local fleet: started on loopback port 0 (its gRPC listener too), so the kernel
/// picks and binds its ports in one step, and known by the addresses it reports on stdout once bound
/// (<see cref="WorkerListening"/>); its stdout/stderr forwarded to the gateway's log under its id, stopped gracefully
/// (SIGTERM, then SIGKILL after a grace period).
/// </summary>
internal sealed partial class WorkerProcess : IFleetWorker
{
    private readonly Process _process;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly TaskCompletionSource<WorkerListening> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private WorkerProcess(string id, Process process, TimeProvider time, ILogger logger)
    {
        Id = id;
        _process = process;
        _time = time;
        _logger = logger;
        StartedAt = time.GetUtcNow();
        Exited = process.WaitForExitAsync();
        _ = _listening.Task.ContinueWith(t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default); // observed: the supervisor logs it its own way
        _ = PumpAsync(process.StandardOutput, LogLevel.Information, _listening);
        _ = PumpAsync(process.StandardError, LogLevel.Warning, null);
    }

    public string Id { get; }

    /// <summary>0 until the worker has reported where it listens (<see cref="Listening"/>).</summary>
    public int Port => Reported?.Port ?? 0;

    public int Pid => _process.Id;

    /// <summary>The address the worker reported; read it once <see cref="Listening"/> completed.</summary>
    public string Address => Reported?.Http ?? throw new InvalidOperationException($"{Id} has not reported its address yet");

    public string? GrpcAddress => Reported?.Grpc;

    public Task Listening => _listening.Task;

    private WorkerListening? Reported => _listening.Task.IsCompletedSuccessfully ? _listening.Task.Result : null;

    public Task Exited { get; }

    public bool HasExited => _process.HasExited;

    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    public string Device { get; set; } = "?";

    public DateTimeOffset StartedAt { get; }

    /// <summary>CPU time the process has used so far (for the autoscaler's utilisation).</summary>
    public TimeSpan CpuTime
    {
        get
        {
            try
            {
                _process.Refresh();
                return _process.TotalProcessorTime;
            }
            catch (InvalidOperationException)
            {
                return TimeSpan.Zero;
            }
        }
    }

    public static async Task<WorkerProcess> StartAsync(ProcessSpawner spawner, string id, string workerDll, string model,
        IReadOnlyList<string> extraArgs, TimeProvider time, ILogger logger, bool grpc = false)
    {
        var args = new List<string> { workerDll, "--urls", "http://127.0.0.1:0", "--model", model };
        if (grpc)
        {
            args.AddRange(["--grpc-urls", "http://127.0.0.1:0"]); // KServe v2 gRPC on a port of its own (h2c)
        }

        args.AddRange(extraArgs);
        var process = await spawner.StartAsync("dotnet", args);
        return new WorkerProcess(id, process, time, logger);
    }

    /// <summary>SIGTERM (the worker finishes what is queued), then SIGKILL if it is still there after <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (_process.HasExited)
        {
            return;
        }

        try
        {
            _ = Kill(_process.Id, 15);
            await Exited.WaitAsync(grace, _time);
        }
        catch (TimeoutException)
        {
            LogKilled(_logger, Id, Pid, grace.TotalSeconds);
            _process.Kill(entireProcessTree: true);
            await Exited;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await Exited;
        }

        _process.Dispose();
    }

    private async Task PumpAsync(StreamReader reader, LogLevel level, TaskCompletionSource<WorkerListening>? listening)
    {
        // The pipe is closed here, at its end: Process.Dispose leaves a stream read through StandardOutput/StandardError
        // open (it is the caller's), and the soak found two descriptors kept for every worker that ever died.
        using var _ = reader;
        try
        {
            while (await reader.ReadLineAsync() is { } line)
            {
                if (line.Length > 0)
                {
                    LogWorkerLine(_logger, level, Id, line);
                }

                if (listening is not null && WorkerListening.TryParse(line, out var reported))
                {
                    listening.TrySetResult(reported);
                }
            }
        }
        finally
        {
            // Its stdout ended (it exited) before it said where it listens: the supervisor stops waiting for it.
            listening?.TrySetException(new InvalidOperationException($"{Id} (pid {Pid}) ended its output without reporting its listening address"));
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    [LoggerMessage(EventId = 310, Message = "[{Worker}] {Line}")]
    private static partial void LogWorkerLine(ILogger logger, LogLevel level, string worker, string line);

    [LoggerMessage(EventId = 311, Level = LogLevel.Warning, Message = "Worker {Worker} (pid {Pid}) did not exit {Grace} s after SIGTERM; killed.")]
    private static partial void LogKilled(ILogger logger, string worker, int pid, double grace);
}
