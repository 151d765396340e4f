using System.Collections.Concurrent;
using System.Diagnostics;

namespace Gateway.Fleet;

/// <summary>
/// Starts worker processes from one dedicated thread that lives as long as the gateway, under
/// <c>setpriv --pdeathsig KILL</c>: Linux delivers the parent-death signal when the thread that forked the
/// child exits, so forking from a long-lived thread makes "the gateway died" (even kill -9) kill every worker,
/// while a retiring thread-pool thread never does.
/// </summary>
internal sealed class ProcessSpawner : IDisposable
{
    private static readonly string? s_setpriv = File.Exists("/usr/bin/setpriv") ? "/usr/bin/setpriv" : null;
    private readonly BlockingCollection<(ProcessStartInfo Info, TaskCompletionSource<Process> Done)> _requests = [];
    private readonly Thread _thread;

    public ProcessSpawner()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "LbProxy worker spawner" };
        _thread.Start();
    }

    /// <summary>Whether children die with the gateway even when it is killed (setpriv is present).</summary>
    public static bool TiesChildren => s_setpriv is not null;

    public Task<Process> StartAsync(string fileName, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(s_setpriv ?? fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // One line per log entry (they are forwarded into the gateway's log) and no start-up chatter.
        info.Environment["Logging__Console__FormatterName"] = "simple";
        info.Environment["Logging__Console__FormatterOptions__SingleLine"] = "true";
        info.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Warning";
        if (s_setpriv is not null)
        {
            info.ArgumentList.Add("--pdeathsig");
            info.ArgumentList.Add("KILL");
            info.ArgumentList.Add("--");
            info.ArgumentList.Add(fileName);
        }

        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var done = new TaskCompletionSource<Process>(TaskCreationOptions.RunContinuationsAsynchronously);
        _requests.Add((info, done));
        return done.Task;
    }

    private void Run()
    {
        foreach (var (info, done) in _requests.GetConsumingEnumerable())
        {
            try
            {
                done.SetResult(Process.Start(info) ?? throw new InvalidOperationException($"could not start {info.FileName}"));
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
        }
    }

    public void Dispose() => _requests.CompleteAdding();
}
