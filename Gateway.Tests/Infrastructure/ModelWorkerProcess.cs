using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// A real ModelWorker process (`dotnet ModelWorker.dll` from the test output) for the worker and fault tests, on a
/// port from the OS, or on a given port when a test restarts a worker where the gateway expects it. It waits on
/// the worker's log lines rather than sleeping. Signals go to this PID only: SIGTERM (drain), SIGKILL (kill -9),
/// SIGSTOP (hang: the kernel still accepts connections, nothing answers) and SIGCONT. Dispose kills it by PID
/// if it still runs.
/// </summary>
public sealed partial class ModelWorkerProcess : IDisposable
{
    private readonly Process _process;
    private readonly System.Text.StringBuilder _output = new();
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ModelWorkerProcess(Process process) => _process = process;

    public int Id => _process.Id;

    public Uri? Url => _listening.Task.IsCompletedSuccessfully ? _listening.Task.Result : null;

    /// <summary>Everything the worker wrote to stdout and stderr so far.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>A worker for fault runs: it batches with a short wait (2 ms) so its latency stays small at test rates.</summary>
    public static ModelWorkerProcess Start(int port = 0) => Start(port, "--max-wait-ms", "2");

    /// <summary>A worker with one intra-op thread and the given options.</summary>
    public static ModelWorkerProcess Start(int port, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ModelWorker.dll"));
        foreach (var arg in new[] { "--urls", $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}", "--intra-op-threads", "1" }.Concat(args))
        {
            info.ArgumentList.Add(arg);
        }

        var worker = new ModelWorkerProcess(new Process { StartInfo = info });
        worker._process.OutputDataReceived += (_, e) => worker.OnLine(e.Data);
        worker._process.ErrorDataReceived += (_, e) => worker.OnLine(e.Data);
        worker._process.Start();
        worker._process.BeginOutputReadLine();
        worker._process.BeginErrorReadLine();
        return worker;
    }

    /// <summary>Starts <paramref name="count"/> workers at once (each loads its model in about a second) and waits for all.</summary>
    public static async Task<ModelWorkerProcess[]> StartManyAsync(int count)
    {
        var workers = Enumerable.Range(0, count).Select(_ => Start()).ToArray();
        try
        {
            await Task.WhenAll(workers.Select(w => w.WaitUntilReadyAsync()));
            return workers;
        }
        catch
        {
            foreach (var w in workers)
            {
                w.Dispose();
            }

            throw;
        }
    }

    /// <summary>The bound address once the model is loaded.</summary>
    public async Task<Uri> WaitUntilReadyAsync()
    {
        await _ready.Task.WaitAsync(TimeSpan.FromSeconds(60));
        return await _listening.Task;
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    /// <summary>SIGTERM, as Kubernetes and the gateway's supervisor stop a worker.</summary>
    public void Terminate() => Signal("-TERM");

    /// <summary>kill -9: no drain, no FIN for requests in flight.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGSTOP: the process hangs with its sockets open.</summary>
    public void Pause() => Signal("-STOP");

    public void Resume() => Signal("-CONT");

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true); // SIGKILL also ends a stopped process
            _process.WaitForExit();
        }

        _process.Dispose();
    }

    private void Signal(string signal)
    {
        using var kill = Process.Start("kill", [signal, Id.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill {signal} {Id} exited {kill.ExitCode}");
        }
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        var match = ListeningLine().Match(line);
        if (match.Success)
        {
            _listening.TrySetResult(new Uri(match.Groups[1].Value));
        }

        if (line.EndsWith("; ready", StringComparison.Ordinal))
        {
            _ready.TrySetResult();
        }
    }

    [GeneratedRegex(@"Now listening on: (http://\S+)")]
    private static partial Regex ListeningLine();
}
