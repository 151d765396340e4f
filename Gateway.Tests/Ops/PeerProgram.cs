using System.Diagnostics;
using System.Text;

namespace Gateway.Tests.Ops;

/// <summary>
/// A real program the operations tests run (prometheus, locust), from Debian's packages. A missing one fails the
/// test with the package to install (.ci/test.sh installs it); it never skips. Output is kept for the failure
/// message; Dispose kills the process tree by its PID if it still runs.
/// </summary>
public sealed class PeerProgram : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private PeerProgram(Process process) => _process = process;

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

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

    /// <summary>The full path of <paramref name="command"/> on PATH (or under /usr/bin); fails naming the Debian package.</summary>
    public static string Require(string command, string package)
    {
        var found = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Append("/usr/bin")
            .Select(dir => Path.Combine(dir, command)).FirstOrDefault(File.Exists);
        Assert.True(found is not null, $"'{command}' is not installed: apt-get install {package} (bash .ci/test.sh installs it when missing)");
        return found!;
    }

    public static PeerProgram Start(string file, IEnumerable<string> args, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        var peer = new PeerProgram(new Process { StartInfo = info });
        peer._process.OutputDataReceived += (_, e) => peer.Append(e.Data);
        peer._process.ErrorDataReceived += (_, e) => peer.Append(e.Data);
        peer._process.Start();
        peer._process.BeginOutputReadLine();
        peer._process.BeginErrorReadLine();
        return peer;
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
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

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
