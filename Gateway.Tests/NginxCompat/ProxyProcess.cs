using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Benchmarks.Local;

namespace Gateway.Tests.NginxCompat;

/// <summary>
/// Real nginx (Debian's /usr/sbin/nginx, its own prefix in a temp folder, one worker, in the foreground) or the
/// launcher nginx-compat/lbproxy-nginx, running one localized example. Ready when its pid file exists and every
/// listen port accepts connections.
/// </summary>
public sealed partial class ProxyProcess : IAsyncDisposable
{
    public const string NginxBinary = "/usr/sbin/nginx";

    private readonly Process _process;
    private readonly StringBuilder _output;
    private bool _stopped;

    private ProxyProcess(string kind, string prefix, Process process, StringBuilder output, IReadOnlyList<int> ports)
    {
        Kind = kind;
        Prefix = prefix;
        _process = process;
        _output = output;
        Ports = ports;
    }

    public string Kind { get; }

    public string Prefix { get; }

    public IReadOnlyList<int> Ports { get; }

    public int Pid => _process.Id;

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

    public static Task<ProxyProcess> StartNginxAsync(ExampleConfig example, IReadOnlyList<string> addresses)
    {
        var prefix = Directory.CreateTempSubdirectory("nginx-real-").FullName;
        Directory.CreateDirectory(Path.Combine(prefix, "logs"));
        var conf = Path.Combine(prefix, "nginx.conf");
        return StartOnFreshPortsAsync("nginx", prefix, example.Listens.Count, ports =>
        {
            // The test owns the process settings: one worker (nginx keeps balancing state per worker), foreground, files in the prefix.
            var text = MainSettings().Replace(example.Localize(addresses, ports), "");
            File.WriteAllText(conf, $"daemon off;\nworker_processes 1;\npid {prefix}/nginx.pid;\nerror_log {prefix}/logs/error.log info;\n" + text);
        }, NginxBinary, "-p", prefix, "-c", conf);
    }

    public static Task<ProxyProcess> StartLauncherAsync(ExampleConfig example, IReadOnlyList<string> addresses)
    {
        var prefix = Directory.CreateTempSubdirectory("nginx-lbproxy-").FullName;
        Directory.CreateDirectory(Path.Combine(prefix, "logs"));
        var conf = Path.Combine(prefix, "nginx.conf");
        return StartOnFreshPortsAsync("lbproxy-nginx", prefix, example.Listens.Count, ports =>
        {
            var text = MainSettings().Replace(example.Localize(addresses, ports), "");
            File.WriteAllText(conf, $"pid {prefix}/nginx.pid;\nerror_log {prefix}/logs/error.log info;\n" + text);
        }, Launcher, "-p", prefix, "-c", conf);
    }

    /// <summary>
    /// The launcher on a config file the test writes into <paramref name="prefix"/> (its pid file at prefix/nginx.pid):
    /// <paramref name="text"/> makes it for the <paramref name="listens"/> ports it is given (<see cref="Ports"/> then),
    /// and is asked again with fresh ports when one was taken before the launcher bound it.
    /// </summary>
    public static Task<ProxyProcess> StartLauncherAsync(string prefix, string conf, int listens, Func<IReadOnlyList<int>, string> text,
        Func<int>? nextPort = null) =>
        StartOnFreshPortsAsync("lbproxy-nginx", prefix, listens, ports => File.WriteAllText(conf, text(ports)), Launcher, nextPort,
            "-p", prefix, "-c", conf);

    /// <summary>Real nginx on a config file the test writes (settings included), as <see cref="StartLauncherAsync(string, string, int, Func{IReadOnlyList{int}, string}, Func{int}?)"/>.</summary>
    public static Task<ProxyProcess> StartNginxAsync(string prefix, string conf, int listens, Func<IReadOnlyList<int>, string> text,
        Func<int>? nextPort = null) =>
        StartOnFreshPortsAsync("nginx", prefix, listens, ports => File.WriteAllText(conf, text(ports)), NginxBinary, nextPort,
            "-p", prefix, "-c", conf);

    public static string Launcher => Path.Combine(LocalProcesses.RepoRoot(), "nginx-compat", "lbproxy-nginx");

    /// <summary>How many starts a run with fresh ports took (1 unless a port was taken in between).</summary>
    public int Attempts { get; private set; } = 1;

    private static Task<ProxyProcess> StartOnFreshPortsAsync(string kind, string prefix, int listens, Action<IReadOnlyList<int>> configure,
        string file, params string[] args) => StartOnFreshPortsAsync(kind, prefix, listens, configure, file, null, args);

    /// <summary>
    /// nginx and the launcher read their listen ports from the config, so the ports are picked before they bind them: a
    /// parallel test may take one in between. Then the program fails with "Address already in use" (nginx after its own
    /// five bind tries, about 2.5 s), and it is started again on fresh ports (<see cref="LocalProcesses.OnFreshPortsAsync{T}"/>).
    /// </summary>
    private static async Task<ProxyProcess> StartOnFreshPortsAsync(string kind, string prefix, int listens, Action<IReadOnlyList<int>> configure,
        string file, Func<int>? nextPort, params string[] args)
    {
        var attempts = 0;
        try
        {
            return await LocalProcesses.OnFreshPortsAsync(listens, async ports =>
            {
                attempts++;
                configure(ports);
                var log = Path.Combine(prefix, "logs", "error.log");
                if (File.Exists(log))
                {
                    File.Delete(log); // this attempt's errors only
                }

                var proxy = await StartAsync(kind, prefix, ports, file, args);
                proxy.Attempts = attempts;
                return proxy;
            }, nextPort);
        }
        catch
        {
            DeletePrefix(prefix); // as a stopped proxy's prefix is removed
            throw;
        }
    }

    private static void DeletePrefix(string prefix)
    {
        try
        {
            Directory.Delete(prefix, recursive: true);
        }
        catch (IOException)
        {
            // nginx's worker may still hold a log file for a moment; the temp folder is left behind then.
        }
    }

    private static async Task<ProxyProcess> StartAsync(string kind, string prefix, IReadOnlyList<int> ports, string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["LBPROXY_ADMIN_URLS"] = "http://127.0.0.1:0";
        var output = new StringBuilder();
        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var proxy = new ProxyProcess(kind, prefix, process, output, ports);
        // Both write the pid file only once every listen socket is bound, so a port some other process listens on
        // cannot pass for this one's.
        var pidFile = Path.Combine(prefix, "nginx.pid");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!File.Exists(pidFile) || !ports.All(LocalProcesses.Accepts))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                var exited = process.HasExited;
                var why = exited ? $"exited with {process.ExitCode}" : "not ready in 20 s";
                await proxy.StopAsync(); // and all its output read
                var log = Path.Combine(prefix, "logs", "error.log");
                var errors = File.Exists(log) ? File.ReadAllText(log) : "";
                var config = File.ReadAllText(Path.Combine(prefix, "nginx.conf"));
                var message = $"{kind} {why}: {proxy.Output}\n{errors}\nconfig:\n{config}";
                if (exited && LocalProcesses.SaysAddressInUse(proxy.Output + errors))
                {
                    throw new PortInUseException(message);
                }

                throw new InvalidOperationException(message);
            }

            await Task.Delay(25);
        }

        return proxy;
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    public async Task SignalAsync(string signal)
    {
        using var kill = Process.Start("kill", ["-s", signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        await kill.WaitForExitAsync();
    }

    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            Directory.Delete(Prefix, recursive: true);
        }
        catch (IOException)
        {
            // nginx's worker may still hold a log file for a moment; the temp folder is left behind then.
        }
    }

    /// <summary>Kills it if it still runs, then waits for its exit and the end of its output (so <see cref="Output"/> is complete).</summary>
    private async Task StopAsync()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
        _process.Dispose();
    }

    [GeneratedRegex(@"(?m)^\s*(pid|error_log|daemon|master_process|worker_processes|user)\s+[^;]*;")]
    private static partial Regex MainSettings();
}
