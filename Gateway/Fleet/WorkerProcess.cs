using System.Diagnostics;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Gateway.Fleet;

/// <summary>
/// One ModelWorker process of the local fleet: started on a free loopback port, its stdout/stderr forwarded to
/// the gateway's log under its id, stopped gracefully (SIGTERM, then SIGKILL after a grace period).
/// </summary>
internal sealed partial class WorkerProcess : IFleetWorker
{
    private readonly Process _process;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    private WorkerProcess(string id, int port, int grpcPort, Process process, TimeProvider time, ILogger logger)
    {
        Id = id;
        Port = port;
        GrpcAddress = grpcPort > 0 ? $"http://127.0.0.1:{grpcPort}" : null;
        _process = process;
        _time = time;
        _logger = logger;
        StartedAt = time.GetUtcNow();
        Exited = process.WaitForExitAsync();
        _ = PumpAsync(process.StandardOutput, LogLevel.Information);
        _ = PumpAsync(process.StandardError, LogLevel.Warning);
    }

    public string Id { get; }

    public int Port { get; }

    public int Pid => _process.Id;

    public string Address => $"http://127.0.0.1:{Port}";

    public string? GrpcAddress { get; }

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
        var port = FreePort();
        var grpcPort = grpc ? FreePort() : 0;
        var args = new List<string> { workerDll, "--urls", $"http://127.0.0.1:{port}", "--model", model };
        if (grpc)
        {
            args.AddRange(["--grpc-urls", $"http://127.0.0.1:{grpcPort}"]); // KServe v2 gRPC on a port of its own (h2c)
        }

        args.AddRange(extraArgs);
        var process = await spawner.StartAsync("dotnet", args);
        return new WorkerProcess(id, port, grpcPort, process, time, logger);
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

    private async Task PumpAsync(StreamReader reader, LogLevel level)
    {
        // The pipe is closed here, at its end: Process.Dispose leaves a stream read through StandardOutput/StandardError
        // open (it is the caller's), and the soak found two descriptors kept for every worker that ever died.
        using var _ = reader;
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.Length > 0)
            {
                LogWorkerLine(_logger, level, Id, line);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    [LoggerMessage(EventId = 310, Message = "[{Worker}] {Line}")]
    private static partial void LogWorkerLine(ILogger logger, LogLevel level, string worker, string line);

    [LoggerMessage(EventId = 311, Level = LogLevel.Warning, Message = "Worker {Worker} (pid {Pid}) did not exit {Grace} s after SIGTERM; killed.")]
    private static partial void LogKilled(ILogger logger, string worker, int pid, double grace);
}
