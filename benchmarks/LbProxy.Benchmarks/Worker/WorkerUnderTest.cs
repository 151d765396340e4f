using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Benchmarks.Worker;

/// <summary>A real ModelWorker process on 127.0.0.1 with a port from the OS; killed by PID on dispose.</summary>
public sealed partial class WorkerUnderTest : IDisposable
{
    /// <summary>The runtime's switch for running socket completions on the socket engine's threads.</summary>
    public const string InlineCompletionsVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    private readonly Process _process;
    private readonly TaskCompletionSource<Uri> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Uri? _address;

    private WorkerUnderTest(Process process) => _process = process;

    public static async Task<(WorkerUnderTest Worker, Uri Address)> StartAsync(string workerDll, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.Environment.Remove(InlineCompletionsVariable); // the benchmark's own setting; the worker chooses its own
        foreach (var arg in new[] { workerDll, "--urls", "http://127.0.0.1:0" }.Concat(args))
        {
            info.ArgumentList.Add(arg);
        }

        var worker = new WorkerUnderTest(new Process { StartInfo = info });
        worker._process.Start();
        worker.StartReading(worker._process.StandardOutput);
        worker.StartReading(worker._process.StandardError);
        try
        {
            return (worker, await worker._ready.Task.WaitAsync(TimeSpan.FromSeconds(60)));
        }
        catch
        {
            worker.Dispose(); // a worker that never got ready must not outlive the benchmark
            throw;
        }
    }

    /// <summary>CPU time the worker process has used so far (all its threads: Kestrel, the batch loop, ONNX Runtime).</summary>
    public TimeSpan CpuTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }

    // Blocking reads on a thread of their own rather than BeginOutputReadLine: on Linux asynchronous pipe reads go
    // through the socket engine, and with inline socket completions (the load generator's setting) WaitForExit on a
    // killed worker never returned. Reading to the end also keeps the worker from blocking on a full pipe.
    private void StartReading(StreamReader output) => new Thread(() =>
    {
        while (output.ReadLine() is { } line)
        {
            OnLine(line);
        }
    })
    { IsBackground = true, Name = "worker output" }.Start();

    private void OnLine(string line)
    {
        var match = Listening().Match(line);
        if (match.Success)
        {
            _address = new Uri(match.Groups[1].Value);
        }

        if (line.EndsWith("; ready", StringComparison.Ordinal) && _address is not null)
        {
            _ready.TrySetResult(_address);
        }
    }

    [GeneratedRegex(@"Now listening on: (http://\S+)")]
    private static partial Regex Listening();
}
