using System.Globalization;
using Benchmarks.Local;
using Benchmarks.Worker;

namespace Benchmarks.PolicyLoad;

/// <summary>The backends of one balancer's run in a policy-load scenario: started fresh for every balancer.</summary>
internal interface IPolicyLoadFleet : IAsyncDisposable
{
    IReadOnlyList<int> Ports { get; }

    /// <summary>A path every backend answers 200 on once it can serve.</summary>
    string ReadyPath { get; }

    /// <summary>Request number i of the load.</summary>
    HttpRequestMessage Request(long i);

    /// <summary>How many requests each backend served in this run.</summary>
    Task<long[]> ServedAsync();
}

/// <summary>What a policy-load scenario is: its backends, how hashing balancers key requests, and how it reads.</summary>
internal abstract record PolicyLoadScenario(string Name, string Title, string GatewayHashKey, string NginxHash)
{
    public abstract string Describe(double rate, int seconds, TimeSpan timeout);

    public abstract string[] BackendNames { get; }

    public abstract Task<IPolicyLoadFleet> StartAsync(int seconds, DateTimeOffset epoch);
}

/// <summary>
/// Three profile backends (<see cref="ProfileBackend"/>: 4 servers each, lognormal median 20 ms), b0 10x slower for
/// the middle third of the load: the real-process counterpart of the simulator's slow-destination scenarios.
/// </summary>
internal sealed record ProfileScenario() : PolicyLoadScenario("profile", "one backend 10x slower for the middle third",
    "path", "hash $request_uri consistent;")
{
    public override string[] BackendNames => ["b0 share (slow)", "b1 share", "b2 share"];

    public override string Describe(double rate, int seconds, TimeSpan timeout) =>
        $"3 backend processes (4 servers each, lognormal median 20 ms, sigma 0.3; ~600 req/s capacity), b0 10x slower from {seconds / 3} s to {2 * seconds / 3} s; " +
        $"open-loop {rate} req/s (GET /item/N) for {seconds} s";

    public override async Task<IPolicyLoadFleet> StartAsync(int seconds, DateTimeOffset epoch)
    {
        // Port 0: each backend binds a free port itself and prints it, so no port is picked before it is bound.
        var processes = new List<WatchedProcess>();
        var ports = new int[3];
        try
        {
            for (var i = 0; i < ports.Length; i++)
            {
                var slow = i == 0 ? new[] { "--slow-from-ms", $"{seconds * 1000 / 3}", "--slow-until-ms", $"{seconds * 2000 / 3}", "--slow-factor", "10" } : [];
                processes.Add(WatchedProcess.Start("dotnet", [Path.Combine(AppContext.BaseDirectory, "LbProxy.Benchmarks.dll"), "backend", "--port", "0",
                    "--name", $"b{i}", "--seed", $"{i + 1}", "--epoch-unix-ms", $"{epoch.ToUnixTimeMilliseconds()}", .. slow]));
            }

            for (var i = 0; i < ports.Length; i++)
            {
                var line = await processes[i].WaitForLineAsync(l => l.StartsWith(ProfileBackend.ListeningPrefix, StringComparison.Ordinal), TimeSpan.FromSeconds(60));
                ports[i] = new Uri(line[ProfileBackend.ListeningPrefix.Length..]).Port;
            }
        }
        catch
        {
            foreach (var p in processes)
            {
                await p.DisposeAsync();
            }

            throw;
        }

        return new Fleet(ports, processes);
    }

    private sealed class Fleet(int[] ports, List<WatchedProcess> processes) : IPolicyLoadFleet
    {
        private static readonly HttpClient s_stats = new() { Timeout = TimeSpan.FromSeconds(5) };

        public IReadOnlyList<int> Ports => ports;

        public string ReadyPath => "/stats";

        public HttpRequestMessage Request(long i) => new(HttpMethod.Get, $"/item/{i % 200}");

        public async Task<long[]> ServedAsync() =>
            await Task.WhenAll(ports.Select(async p => long.Parse(await s_stats.GetStringAsync($"http://127.0.0.1:{p}/stats"), CultureInfo.InvariantCulture)));

        public async ValueTask DisposeAsync()
        {
            foreach (var p in processes)
            {
                await p.DisposeAsync();
            }
        }
    }
}

/// <summary>
/// Three real ModelWorker processes with the heavy model (256 -> 1024 -> 1024 -> 3), batching up to 32 rows; w0 waits
/// up to 50 ms to fill a batch (a latency-for-throughput setting, as on a pod tuned for another workload), w1 and w2
/// 5 ms. Requests are POST /predict with one 256-feature row and an X-User header (200 users) that the hashing
/// balancers key on. Where inference is the work, this is the scenario the harness is for.
/// </summary>
internal sealed record WorkerScenario(string WorkerDll, string Model) : PolicyLoadScenario("worker", "ModelWorkers, one batching with a 50 ms wait",
    "header:X-User", "hash $http_x_user consistent;")
{
    private static readonly PredictRequests s_requests = new(16, 256);
    private static readonly int[] s_maxWaitMs = [50, 5, 5];

    public override string[] BackendNames => ["w0 share (50 ms wait)", "w1 share", "w2 share"];

    public override string Describe(double rate, int seconds, TimeSpan timeout) =>
        "3 ModelWorker processes, heavy model, --batching fixed-window, max batch 32, 1 intra-op thread each; w0 --max-wait-ms 50, w1 and w2 --max-wait-ms 5; " +
        $"open-loop {rate} req/s (POST /predict, one row, X-User of 200 users) for {seconds} s";

    public override async Task<IPolicyLoadFleet> StartAsync(int seconds, DateTimeOffset epoch)
    {
        var workers = await Task.WhenAll(s_maxWaitMs.Select(wait => WorkerUnderTest.StartAsync(WorkerDll,
            // The seeds' fixed window: a work-conserving worker would not wait, and w0 would not be the slow one.
            ["--model", Model, "--batching", "fixed-window", "--max-batch-size", "32", "--max-wait-ms", $"{wait}", "--intra-op-threads", "1"])));
        return new Fleet(workers);
    }

    private sealed class Fleet((WorkerUnderTest Worker, Uri Address)[] workers) : IPolicyLoadFleet
    {
        private static readonly HttpClient s_metrics = new() { Timeout = TimeSpan.FromSeconds(5) };

        public IReadOnlyList<int> Ports { get; } = [.. workers.Select(w => w.Address.Port)];

        public string ReadyPath => "/ready";

        public HttpRequestMessage Request(long i)
        {
            var message = s_requests.Create(i);
            message.Headers.TryAddWithoutValidation("X-User", $"u{i % 200}");
            return message;
        }

        /// <summary>Requests each worker answered, from its ml_requests_total (every status).</summary>
        public async Task<long[]> ServedAsync() => await Task.WhenAll(Ports.Select(async port =>
        {
            var text = await s_metrics.GetStringAsync($"http://127.0.0.1:{port}/metrics");
            // "ml_requests_total{status="ok",...} 1234 1700000000000": the value is the first field after the labels.
            return (long)text.Split('\n').Where(l => l.StartsWith("ml_requests_total", StringComparison.Ordinal))
                .Sum(l => double.Parse(l[(l.LastIndexOf('}') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], CultureInfo.InvariantCulture));
        }));

        public ValueTask DisposeAsync()
        {
            foreach (var (worker, _) in workers)
            {
                worker.Dispose();
            }

            return ValueTask.CompletedTask;
        }
    }
}
