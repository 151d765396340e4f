using System.Diagnostics;
using Benchmarks.Local;

namespace Benchmarks.ProxyCost;

/// <summary>One thing wrk is pointed at: direct, nginx, HAProxy, or the gateway with one policy; started and stopped by the harness.</summary>
internal sealed class ProxyTarget(string name, string url, Func<Process?> start) : IAsyncDisposable
{
    private Process? _process;

    public string Name { get; } = name;

    public string Url { get; } = url;

    public Process? Process => _process;

    public async Task StartAsync()
    {
        _process = start();
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

        throw new InvalidOperationException($"{Name} did not answer 200 at {Url}");
    }

    /// <summary>CPU seconds used so far by the target's process and its children (nginx workers).</summary>
    public double CpuSeconds() => _process is null ? 0 : ProcessTree.CpuSeconds(_process.Id);

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            await LocalProcesses.StopAsync(_process);
        }
    }
}
