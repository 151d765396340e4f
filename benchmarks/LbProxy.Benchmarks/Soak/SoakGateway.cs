using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Benchmarks.Local;

namespace Benchmarks.Soak;

/// <summary>
/// The gateway under soak: a separate process running the embedded default (every path to a local fleet of
/// ModelWorkers, Adaptive, breakers, retries, slow start) from a config file that says exactly that, so that it can be
/// reloaded by rewriting the file, as an operator would.
/// </summary>
internal sealed class SoakGateway : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _folder;
    private readonly ConcurrentQueue<string> _errors = new();
    private readonly ConcurrentQueue<string> _tail = new(); // the last lines, for a start that fails
    private readonly TaskCompletionSource<Uri> _proxyUrl = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<Uri> _adminUrl = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private HttpClient _admin = null!;
    private int _reloads;

    private SoakGateway(Process process, string folder)
    {
        _process = process;
        _folder = folder;
    }

    public Uri ProxyUrl { get; private set; } = null!;

    public int Pid => _process.Id;

    public int ProxyPort => ProxyUrl.Port;

    /// <summary>Lines the gateway logged at error level or above ("fail:", "crit:").</summary>
    public IReadOnlyCollection<string> ErrorLines => _errors;

    private string ConfigPath => Path.Combine(_folder, "gateway.json");

    /// <summary>The embedded default (Gateway/Fleet/EmbeddedConfig.cs) as a file; a reload adds a comment line.</summary>
    private static string Config(int workers, int generation) => $$"""
        // lbproxy soak: the embedded default, reload {{generation}}
        {
          "ReverseProxy": {
            "Routes": { "fleet": { "ClusterId": "fleet", "Match": { "Path": "/{**catch-all}" }, "Metadata": { "RetryNonIdempotent": "true" } } }
          },
          "LbProxy": {
            "Resilience": { "SlowStart": { "WindowSeconds": 10 } },
            "Fleet": { "ClusterId": "fleet", "Workers": {{workers}} }
          }
        }
        """;

    public static async Task<SoakGateway> StartAsync(int workers, CancellationToken cancellationToken)
    {
        var folder = Directory.CreateTempSubdirectory("lbproxy-soak-").FullName;
        await File.WriteAllTextAsync(Path.Combine(folder, "gateway.json"), Config(workers, 0), cancellationToken);
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = LocalProcesses.RepoRoot(), // where the fleet finds (or builds) ModelWorker
        };
        string[] args = [Path.Combine(AppContext.BaseDirectory, "Gateway.dll"), "--config", Path.Combine(folder, "gateway.json"), .. GatewayBanner.PortZeroArgs];
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        // Port 0 for both listeners: the gateway binds free ports itself and names them in its banner (printed once
        // the fleet is ready), so no port is picked before it is bound.
        var gateway = new SoakGateway(Process.Start(info)!, folder);
        gateway.Drain(gateway._process.StandardOutput);
        gateway.Drain(gateway._process.StandardError);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(120));
            gateway.ProxyUrl = await gateway._proxyUrl.Task.WaitAsync(timeout.Token);
            gateway._admin = new HttpClient { BaseAddress = await gateway._adminUrl.Task.WaitAsync(timeout.Token), Timeout = TimeSpan.FromSeconds(10) };
            await gateway.WaitReadyAsync(workers, cancellationToken);
        }
        catch
        {
            await gateway.DisposeAsync();
            throw;
        }

        return gateway;
    }

    private void Drain(StreamReader reader) => _ = Task.Run(async () =>
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.Contains("fail:", StringComparison.Ordinal) || line.Contains("crit:", StringComparison.Ordinal))
            {
                _errors.Enqueue(line);
            }

            _tail.Enqueue(line);
            while (_tail.Count > 20 && _tail.TryDequeue(out _))
            {
            }

            if (GatewayBanner.Proxy(line) is { } proxy)
            {
                _proxyUrl.TrySetResult(proxy);
            }
            else if (GatewayBanner.Admin(line) is { } admin)
            {
                _adminUrl.TrySetResult(admin);
            }
        }

        var ended = new InvalidOperationException(
            $"the gateway ended its output before its banner; its last lines:\n{string.Join("\n", _tail)}");
        _proxyUrl.TrySetException(ended);
        _adminUrl.TrySetException(ended);
    });

    private async Task WaitReadyAsync(int workers, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(120))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"the gateway exited with {_process.ExitCode}: {string.Join(" | ", _errors)}");
            }

            try
            {
                var (_, ports, ready) = await FleetAsync(cancellationToken);
                if (ready >= workers && ports.Count >= workers)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException)
            {
            }

            await Task.Delay(250, cancellationToken);
        }

        throw new TimeoutException("the gateway's fleet was not ready within 120 s");
    }

    /// <summary>The fleet's workers (pids and ports, from /status) and how many are ready.</summary>
    public async Task<(List<int> Pids, List<int> Ports, int Ready)> FleetAsync(CancellationToken cancellationToken)
    {
        using var doc = JsonDocument.Parse(await _admin.GetStringAsync("/status", cancellationToken));
        var workers = doc.RootElement.GetProperty("fleet").GetProperty("workers").EnumerateArray().ToList();
        return ([.. workers.Select(w => w.GetProperty("pid").GetInt32())], [.. workers.Select(w => w.GetProperty("port").GetInt32())],
            workers.Count(w => w.GetProperty("state").GetString() == "Ready"));
    }

    public async Task<long> GenerationAsync(CancellationToken cancellationToken)
    {
        using var doc = JsonDocument.Parse(await _admin.GetStringAsync("/status", cancellationToken));
        return doc.RootElement.GetProperty("config").GetProperty("generation").GetInt64();
    }

    /// <summary>Rewrites the config file (same settings, a new comment) and waits for the reload to be applied.</summary>
    public async Task<bool> ReloadAsync(int workers, CancellationToken cancellationToken)
    {
        var before = await GenerationAsync(cancellationToken);
        // Written beside and renamed over, as a careful operator (or a Kubernetes ConfigMap's symlink swap) replaces a
        // config: a file rewritten in place can be read half-written, and the gateway rightly rejects that (the first
        // 10-minute soak saw it happen once on the loaded machine).
        var next = ConfigPath + ".next";
        await File.WriteAllTextAsync(next, Config(workers, ++_reloads), cancellationToken);
        File.Move(next, ConfigPath, overwrite: true);
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(100, cancellationToken);
            if (await GenerationAsync(cancellationToken) > before)
            {
                return true;
            }
        }

        return false;
    }

    public async Task<SoakSample> SampleAsync(string label, CancellationToken cancellationToken)
    {
        var (pids, ports, _) = await FleetAsync(cancellationToken);
        return new SoakSample(label, ProcessSnapshot.Take(Pid), pids, ports);
    }

    public async ValueTask DisposeAsync()
    {
        _admin?.Dispose();
        if (!_process.HasExited)
        {
            // SIGTERM: the gateway drains and stops its workers itself; a kill of the tree is the fallback.
            using (var term = Process.Start("kill", ["-TERM", $"{_process.Id}"]))
            {
                await term.WaitForExitAsync();
            }

            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await _process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }

        _process.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}
