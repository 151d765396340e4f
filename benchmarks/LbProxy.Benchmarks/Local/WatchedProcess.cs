using System.Diagnostics;
using System.Text;

namespace Benchmarks.Local;

/// <summary>
/// A child process whose output (stdout and stderr, one line at a time) is kept, so a harness can learn from it the
/// port the process bound (started on port 0, it prints its address) or see why it failed (address in use).
/// </summary>
internal sealed class WatchedProcess : IAsyncDisposable
{
    private const int MaxKeptChars = 64 * 1024;

    private readonly StringBuilder _output = new();
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Seen)> _waiters = [];
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _openStreams = 2;

    private WatchedProcess(Process process) => Process = process;

    public Process Process { get; }

    /// <summary>What it printed so far (at least the last 64 KiB).</summary>
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

    /// <summary>True when its output says a bind failed because the port is taken (nginx, HAProxy, Kestrel, Go programs word it so).</summary>
    public bool AddressInUse => LocalProcesses.SaysAddressInUse(Output);

    public static WatchedProcess Start(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        var watched = new WatchedProcess(new Process { StartInfo = info });
        watched.Process.OutputDataReceived += (_, e) => watched.Append(e.Data);
        watched.Process.ErrorDataReceived += (_, e) => watched.Append(e.Data);
        watched.Process.Start();
        watched.Process.BeginOutputReadLine();
        watched.Process.BeginErrorReadLine();
        return watched;
    }

    /// <summary>
    /// The first line (already printed or still to come) that <paramref name="match"/> accepts. Fails with the process's
    /// output when it ends its output first or after <paramref name="timeout"/>.
    /// </summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout)
    {
        var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_output)
        {
            var earlier = _output.ToString().Split('\n').Select(l => l.TrimEnd('\r')).FirstOrDefault(match);
            if (earlier is not null)
            {
                return earlier;
            }

            _waiters.Add((match, seen));
        }

        var first = await Task.WhenAny(seen.Task, _ended.Task, Task.Delay(timeout));
        if (first == seen.Task)
        {
            return await seen.Task;
        }

        // The output may have ended just after the line came.
        if (seen.Task.IsCompleted)
        {
            return await seen.Task;
        }

        lock (_output)
        {
            _waiters.RemoveAll(w => w.Seen == seen);
        }

        var why = first == _ended.Task ? "ended its output" : $"printed no such line within {timeout.TotalSeconds:0} s";
        throw new InvalidOperationException($"{Process.StartInfo.FileName} (pid {Process.Id}) {why}; its output:\n{Output}");
    }

    /// <summary>
    /// Starts a program that must be told its <paramref name="count"/> listen ports (nginx, HAProxy): <paramref name="prepare"/>
    /// writes its config for the ports it is given and names the program, its arguments and the pid file it writes once
    /// bound (or null). Ready when the pid file exists and every port accepts; when it exits saying the address is in use
    /// (a port was taken after <see cref="LocalProcesses.FreePort"/>), it is started again on fresh ports.
    /// </summary>
    public static Task<(WatchedProcess Process, IReadOnlyList<int> Ports)> StartOnFreshPortsAsync(int count,
        Func<IReadOnlyList<int>, (string File, string[] Args, string? PidFile)> prepare, TimeSpan timeout, Func<int>? nextPort = null) =>
        LocalProcesses.OnFreshPortsAsync(count, async ports =>
        {
            var (file, args, pidFile) = prepare(ports);
            if (pidFile is not null && File.Exists(pidFile))
            {
                File.Delete(pidFile); // a previous attempt's
            }

            var process = Start(file, args);
            try
            {
                await process.WaitListeningAsync(ports, pidFile, timeout);
                return (process, ports);
            }
            catch
            {
                await process.DisposeAsync();
                throw;
            }
        }, nextPort);

    /// <summary>
    /// Waits until <paramref name="pidFile"/> (when given) exists and every port accepts a connection. Throws
    /// <see cref="PortInUseException"/> when the process exits saying the address is in use, InvalidOperationException
    /// (with its output) when it exits otherwise or is not ready within <paramref name="timeout"/>.
    /// </summary>
    public async Task WaitListeningAsync(IReadOnlyList<int> ports, string? pidFile, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!(pidFile is null || File.Exists(pidFile)) || !ports.All(LocalProcesses.Accepts))
        {
            if (Process.HasExited)
            {
                await Process.WaitForExitAsync(); // and the end of its output
                var message = $"{Process.StartInfo.FileName} exited with {Process.ExitCode} before listening on {string.Join(", ", ports)}; its output:\n{Output}";
                throw AddressInUse ? new PortInUseException(message) : new InvalidOperationException(message);
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"{Process.StartInfo.FileName} not listening on {string.Join(", ", ports)} within {timeout.TotalSeconds:0} s; its output:\n{Output}");
            }

            await Task.Delay(25);
        }
    }

    private void Append(string? line)
    {
        lock (_output)
        {
            if (line is null)
            {
                if (--_openStreams == 0)
                {
                    _ended.TrySetResult();
                }

                return;
            }

            _output.AppendLine(line);
            if (_output.Length > 2 * MaxKeptChars) // trimmed now and then, not on every line of a chatty process
            {
                _output.Remove(0, _output.Length - MaxKeptChars);
            }

            _waiters.RemoveAll(w => w.Match(line) && w.Seen.TrySetResult(line));
        }
    }

    public async ValueTask DisposeAsync() => await LocalProcesses.StopAsync(Process);
}
