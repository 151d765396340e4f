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
        var ports = example.Listens.Select(_ => LocalProcesses.FreePort()).ToList();
        // The test owns the process settings: one worker (nginx keeps balancing state per worker), foreground, files in the prefix.
        var text = MainSettings().Replace(example.Localize(addresses, ports), "");
        text = $"daemon off;\nworker_processes 1;\npid {prefix}/nginx.pid;\nerror_log {prefix}/logs/error.log info;\n" + text;
        var conf = Path.Combine(prefix, "nginx.conf");
        File.WriteAllText(conf, text);
        return StartAsync("nginx", prefix, ports, NginxBinary, "-p", prefix, "-c", conf);
    }

    public static Task<ProxyProcess> StartLauncherAsync(ExampleConfig example, IReadOnlyList<string> addresses)
    {
        var prefix = Directory.CreateTempSubdirectory("nginx-lbproxy-").FullName;
        Directory.CreateDirectory(Path.Combine(prefix, "logs"));
        var ports = example.Listens.Select(_ => LocalProcesses.FreePort()).ToList();
        var text = MainSettings().Replace(example.Localize(addresses, ports), "");
        text = $"pid {prefix}/nginx.pid;\nerror_log {prefix}/logs/error.log info;\n" + text;
        var conf = Path.Combine(prefix, "nginx.conf");
        File.WriteAllText(conf, text);
        return StartAsync("lbproxy-nginx", prefix, ports, Launcher, "-p", prefix, "-c", conf);
    }

    /// <summary>The launcher on a config file the test wrote into <paramref name="prefix"/> (its pid file at prefix/nginx.pid).</summary>
    public static Task<ProxyProcess> StartLauncherAsync(string prefix, string conf, IReadOnlyList<int> ports) =>
        StartAsync("lbproxy-nginx", prefix, ports, Launcher, "-p", prefix, "-c", conf);

    public static string Launcher => Path.Combine(LocalProcesses.RepoRoot(), "nginx-compat", "lbproxy-nginx");

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
        var pidFile = Path.Combine(prefix, "nginx.pid");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!File.Exists(pidFile) || !ports.All(Accepts))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                var why = process.HasExited ? $"exited with {process.ExitCode}" : "not ready in 20 s";
                var log = Path.Combine(prefix, "logs", "error.log");
                var errors = File.Exists(log) ? File.ReadAllText(log) : "";
                var config = File.ReadAllText(Path.Combine(prefix, "nginx.conf"));
                await proxy.DisposeAsync();
                throw new InvalidOperationException($"{kind} {why}: {proxy.Output}\n{errors}\nconfig:\n{config}");
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

    private static bool Accepts(int port)
    {
        try
        {
            using var client = new System.Net.Sockets.TcpClient();
            client.Connect(System.Net.IPAddress.Loopback, port);
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
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
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        try
        {
            Directory.Delete(Prefix, recursive: true);
        }
        catch (IOException)
        {
            // nginx's worker may still hold a log file for a moment; the temp folder is left behind then.
        }
    }

    [GeneratedRegex(@"(?m)^\s*(pid|error_log|daemon|master_process|worker_processes|user)\s+[^;]*;")]
    private static partial Regex MainSettings();
}
