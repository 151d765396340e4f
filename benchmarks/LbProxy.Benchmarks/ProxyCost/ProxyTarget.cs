using System.Diagnostics;
using Benchmarks.Local;

namespace Benchmarks.ProxyCost;

/// <summary>
/// One thing wrk is pointed at: direct, nginx, HAProxy, or the gateway with one policy; started and stopped by the
/// harness, every round. No port is picked long before it is bound: a process that can bind port 0 and say which port
/// it got does so (<see cref="Reporting"/>); nginx and HAProxy get fresh ports at each start and are started again on
/// new ones when one was taken in between (<see cref="OnFreshPorts"/>). <see cref="Url"/> is known once started.
/// </summary>
internal sealed class ProxyTarget : IAsyncDisposable
{
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(60);

    private readonly Func<Task<(WatchedProcess? Process, string Url, IReadOnlyList<int> Ports)>> _start;
    private WatchedProcess? _process;

    private ProxyTarget(string name, Func<Task<(WatchedProcess? Process, string Url, IReadOnlyList<int> Ports)>> start)
    {
        Name = name;
        _start = start;
    }

    public string Name { get; }

    /// <summary>Where it answers (the first port); set by <see cref="StartAsync"/>.</summary>
    public string Url { get; private set; } = "";

    /// <summary>Every port it listens on; set by <see cref="StartAsync"/>.</summary>
    public IReadOnlyList<int> Ports { get; private set; } = [];

    public Process? Process => _process?.Process;

    /// <summary>Something already running at <paramref name="url"/> (the backends, measured directly).</summary>
    public static ProxyTarget Fixed(string name, string url) =>
        new(name, () => Task.FromResult<(WatchedProcess?, string, IReadOnlyList<int>)>((null, url, [new Uri(url).Port])));

    /// <summary>
    /// A program told its <paramref name="count"/> ports in a config (nginx, HAProxy): <paramref name="prepare"/> writes it
    /// for the ports given and names the program, its arguments and its pid file (or null); see
    /// <see cref="WatchedProcess.StartOnFreshPortsAsync"/>.
    /// </summary>
    public static ProxyTarget OnFreshPorts(string name, int count, Func<IReadOnlyList<int>, (string File, string[] Args, string? PidFile)> prepare) =>
        new(name, async () =>
        {
            var (process, ports) = await WatchedProcess.StartOnFreshPortsAsync(count, prepare, s_startTimeout);
            return (process, $"http://127.0.0.1:{ports[0]}/", ports);
        });

    /// <summary>A process started on port 0 that prints where it listens: <paramref name="url"/> finds that in a line of its output.</summary>
    public static ProxyTarget Reporting(string name, Func<WatchedProcess> start, Func<string, Uri?> url) =>
        new(name, async () =>
        {
            var process = start();
            try
            {
                var address = url(await process.WaitForLineAsync(l => url(l) is not null, s_startTimeout))!;
                return (process, $"http://127.0.0.1:{address.Port}/", [address.Port]);
            }
            catch
            {
                await process.DisposeAsync();
                throw;
            }
        });

    public async Task StartAsync()
    {
        (_process, Url, Ports) = await _start();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        for (var i = 0; i < 150; i++)
        {
            try
            {
                using var response = await http.GetAsync(Url);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
            }

            await Task.Delay(100);
        }

        throw new InvalidOperationException($"{Name} did not answer 200 at {Url}; its output:\n{_process?.Output}");
    }

    /// <summary>CPU seconds used so far by the target's process and its children (nginx workers).</summary>
    public double CpuSeconds() => _process is null ? 0 : ProcessTree.CpuSeconds(_process.Process.Id);

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
            _process = null;
        }
    }
}
