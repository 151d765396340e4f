using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Benchmarks.Worker;

/// <summary>A real ModelWorker process on 127.0.0.1 with a port from the OS; killed by PID on dispose.</summary>
public sealed partial class WorkerUnderTest : IDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource<Uri> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Uri? _address;

    private WorkerUnderTest(Process process) => _process = process;

    public static async Task<(WorkerUnderTest Worker, Uri Address)> StartAsync(string workerDll, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { workerDll, "--urls", "http://127.0.0.1:0" }.Concat(args))
        {
            info.ArgumentList.Add(arg);
        }

        var worker = new WorkerUnderTest(new Process { StartInfo = info });
        worker._process.OutputDataReceived += (_, e) => worker.OnLine(e.Data);
        worker._process.ErrorDataReceived += (_, e) => worker.OnLine(e.Data);
        worker._process.Start();
        worker._process.BeginOutputReadLine();
        worker._process.BeginErrorReadLine();
        return (worker, await worker._ready.Task.WaitAsync(TimeSpan.FromSeconds(60)));
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

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

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
