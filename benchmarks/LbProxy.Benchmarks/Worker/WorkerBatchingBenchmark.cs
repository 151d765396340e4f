using System.Diagnostics;
using System.Globalization;
using System.Text;
using Benchmarks.Load;
using Benchmarks.Local;
using Spectre.Console;

namespace Benchmarks.Worker;

/// <summary>
/// `worker` verb: the real ModelWorker process with the heavy model, unbatched (--max-batch-size 1) against both
/// batching modes (work-conserving, the default, and the seeds' fixed window at 50 ms and 5 ms), with the same load
/// generator and worker binary. All workers run side by side and every phase is interleaved (the order rotates every
/// round), so load from elsewhere on the shared cores falls on every config alike. Saturation: rows/s at a fixed
/// number in flight (median over rounds, and a per-round ratio to the baseline). Then open-loop latency, from each
/// request's intended send time, at three rates: low (--low-rate, default 50 req/s: requests mostly arrive alone),
/// medium (50% of the unbatched baseline's saturation) and high (--high-fraction, default 90%, of the slowest
/// batched config's saturation: more than the unbatched worker can serve). Options: --rounds 5, --round-seconds 3,
/// --concurrency 128, --unbatched-intra-op-threads 2 (the first is the baseline), --batched-intra-op-threads 2,
/// --httpclient (load through HttpClient). Writes benchmarks/results/worker-batching.md and worker-batching.png.
/// </summary>
public static class WorkerBatchingBenchmark
{
    private const double SaturationRate = 100_000; // far above capacity: the in-flight cap makes it closed-loop

    public static async Task<int> RunAsync(string[] args)
    {
        // The load generator handles each response on the socket engine's thread, as wrk's event loop does, rather
        // than after a thread-pool hop per response, which cost the client about as much CPU as its socket calls
        // on the same two cores as the worker. The runtime reads this once, when the process opens its first
        // socket, which this verb has not done yet.
        Environment.SetEnvironmentVariable(WorkerUnderTest.InlineCompletionsVariable, "1");
        var rounds = Option(args, "--rounds", 5);
        var roundSeconds = Option(args, "--round-seconds", 3);
        var concurrency = Option(args, "--concurrency", 128);
        var lowRate = Option(args, "--low-rate", 50);
        var highFraction = Option(args, "--high-fraction", 90) / 100.0;
        var useHttpClient = args.Contains("--httpclient");

        // The first unbatched config is the baseline every ratio is taken against.
        var unbatchedThreads = Options(args, "--unbatched-intra-op-threads", [2]);
        var batchedThreads = Options(args, "--batched-intra-op-threads", [2]);
        BatchingConfig[] configs =
        [
            .. unbatchedThreads.Select(t => new BatchingConfig($"unbatched 1, {t}t", "work-conserving", 1, 0, t)),
            .. batchedThreads.Select(t => new BatchingConfig($"work-conserving 32, {t}t", "work-conserving", 32, 50, t)),
            .. batchedThreads.Select(t => new BatchingConfig($"fixed-window 32 / 50 ms, {t}t", "fixed-window", 32, 50, t)),
            .. batchedThreads.Select(t => new BatchingConfig($"fixed-window 32 / 5 ms, {t}t", "fixed-window", 32, 5, t)),
        ];
        var root = LocalProcesses.RepoRoot();
        var dll = Path.Combine(root, "ModelWorker", "bin", "Release", "net10.0", "linux-x64", "ModelWorker.dll");
        var model = Path.Combine(root, "ModelWorker", "models", "classifier-heavy.onnx");
        if (!File.Exists(dll))
        {
            AnsiConsole.MarkupLine("[red]ModelWorker is not built:[/] run `dotnet build ModelWorker -c Release` first");
            return 2;
        }

        var requests = new PredictRequests(16, 256);
        var targets = new List<Target>();
        var results = new List<ConfigResult>();
        var rates = new double[3];
        try
        {
            foreach (var config in configs)
            {
                string[] workerArgs = ["--model", model, "--batching", config.Mode, "--max-batch-size", $"{config.MaxBatchSize}",
                    "--max-wait-ms", $"{config.MaxWaitMs}", "--intra-op-threads", $"{config.IntraOpThreads}", "--queue-capacity", "4096"];
                var (worker, address) = await WorkerUnderTest.StartAsync(dll, workerArgs);
                var client = Client(address, concurrency);
                var raw = new RawHttpClient(address);
                targets.Add(new Target(config, worker, client, raw, useHttpClient ? requests.Sender(client) : requests.Sender(raw)));
            }

            await AnsiConsole.Progress().StartAsync(async progress =>
            {
                var task = progress.AddTask("warm-up, saturation rounds, three fixed rates", maxValue: configs.Length * (rounds * 4 + 1));
                foreach (var target in targets)
                {
                    // JIT tiers, connections, ORT arenas
                    await OpenLoopLoad.RunAsync(target.Send, SaturationRate, TimeSpan.FromSeconds(3), concurrency);
                    task.Increment(1);
                }

                for (var round = 0; round < rounds; round++)
                {
                    for (var k = 0; k < targets.Count; k++)
                    {
                        var target = targets[(round + k) % targets.Count];
                        target.Rounds.Add(await SaturateAsync(target, roundSeconds, concurrency));
                        task.Increment(1);
                    }
                }

                var batchedCapacity = targets.Where(t => t.Config.MaxBatchSize > 1).Select(t => Median(t.Rounds.Select(r => r.RowsPerSecond))).DefaultIfEmpty(0).Min();
                rates[0] = lowRate;
                rates[1] = Math.Round(Median(targets[0].Rounds.Select(r => r.RowsPerSecond)) / 2);
                rates[2] = Math.Round(batchedCapacity * highFraction);
                var fixedRates = new List<LoadResult[]>();
                foreach (var rate in rates)
                {
                    fixedRates.Add(await FixedRateAsync(targets, rate, rounds, roundSeconds, () => task.Increment(1)));
                }

                results.AddRange(targets.Select((t, i) => new ConfigResult(t.Config, t.Rounds, fixedRates[0][i], fixedRates[1][i], fixedRates[2][i])));
            });
        }
        finally
        {
            foreach (var target in targets)
            {
                target.Client.Dispose();
                target.Raw.Dispose();
                target.Worker.Dispose();
            }
        }

        var table = Table(results, rates, rounds, roundSeconds, concurrency, useHttpClient ? "HttpClient (SocketsHttpHandler)" : "raw HTTP/1.1 keep-alive client (Load/RawHttpClient.cs)");
        Console.WriteLine(table);
        var command = $"dotnet run --project benchmarks/LbProxy.Benchmarks -c Release -- worker {string.Join(' ', args)}".TrimEnd();
        var path = Path.Combine(root, "benchmarks", "results", "worker-batching.md");
        var plot = Path.ChangeExtension(path, ".png");
        WorkerBatchingPlot.Save(results, rates, plot);
        await File.WriteAllTextAsync(path, Report(table, command, Path.GetFileName(plot)));
        AnsiConsole.MarkupLine($"wrote [green]{path}[/] and [green]{plot}[/]");
        return 0;
    }

    // One open-loop rate for every config in interleaved rounds; each config's rounds pool into one histogram.
    private static async Task<LoadResult[]> FixedRateAsync(List<Target> targets, double rate, int rounds, int roundSeconds, Action progress)
    {
        var histograms = targets.Select(_ => OpenLoopLoad.NewHistogram()).ToArray();
        var results = new LoadResult?[targets.Count];
        var failed = new long[targets.Count];
        for (var round = 0; round < rounds; round++)
        {
            for (var k = 0; k < targets.Count; k++)
            {
                var index = (round + k) % targets.Count;
                var result = await OpenLoopLoad.RunAsync(targets[index].Send, rate, TimeSpan.FromSeconds(roundSeconds), 4096, histograms[index]);
                failed[index] += result.Failed;
                results[index] = result with { Failed = failed[index] };
                progress();
            }
        }

        return [.. results.Select(r => r!)];
    }

    private static async Task<SaturationRound> SaturateAsync(Target target, int seconds, int concurrency)
    {
        var batches = await BatchStats.ReadAsync(target.Client);
        var workerCpu = target.Worker.CpuTime;
        var clientCpu = Process.GetCurrentProcess().TotalProcessorTime;
        var load = await OpenLoopLoad.RunAsync(target.Send, SaturationRate, TimeSpan.FromSeconds(seconds), concurrency);
        var workerUs = (target.Worker.CpuTime - workerCpu).TotalMicroseconds / Math.Max(1, load.Succeeded);
        var clientUs = (Process.GetCurrentProcess().TotalProcessorTime - clientCpu).TotalMicroseconds / Math.Max(1, load.Succeeded);
        var meanBatch = (await BatchStats.ReadAsync(target.Client)).MeanSince(batches);
        return new SaturationRound(load.Throughput, load.Failed, workerUs, clientUs, meanBatch);
    }

    private static string Table(List<ConfigResult> results, double[] rates, int rounds, int roundSeconds, int concurrency, string client)
    {
        var baseline = results[0];
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Heavy model (256 -> 1024 -> 1024 -> 3); load generator: {client}. Saturation: {concurrency} in flight, {rounds} interleaved rounds of {roundSeconds} s per config, medians. Latency at three open-loop rates: low {rates[0]:0} req/s, medium {rates[1]:0} req/s (50% of the baseline's saturation), high {rates[2]:0} req/s (of the slowest batched config's saturation); {rounds} interleaved rounds of {roundSeconds} s per config and rate, percentiles over all of them. `Nt` = N intra-op threads.");
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"| config | rows/s at saturation | vs unbatched | per-round ratio (min-max) | mean batch | worker CPU us/req | client CPU us/req | low p50 ms | low p99 | medium p50 | medium p99 | high p50 | high p99 | errors low/medium/high |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            var ratios = r.Rounds.Zip(baseline.Rounds, (a, b) => a.RowsPerSecond / b.RowsPerSecond).ToArray();
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Config.Name} | {r.RowsPerSecond:0} | {r.RowsPerSecond / baseline.RowsPerSecond:0.00}x | {ratios.Min():0.00}-{ratios.Max():0.00}x | {r.MeanBatchSize:0.0} | {r.WorkerCpuUsPerRequest:0} | {r.ClientCpuUsPerRequest:0} | {r.Low.P50Ms:0.00} | {r.Low.P99Ms:0.00} | {r.Medium.P50Ms:0.00} | {r.Medium.P99Ms:0.00} | {Ms(r.High.P50Ms)} | {Ms(r.High.P99Ms)} | {r.Low.Failed}/{r.Medium.Failed}/{r.High.Failed} |");
        }

        sb.AppendLine();
        foreach (var unbatched in results.Where(r => r.Config.MaxBatchSize == 1))
        {
            var ratios = results.Where(r => r.Config.MaxBatchSize > 1)
                .Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Config.Name} {r.RowsPerSecond / unbatched.RowsPerSecond:0.00}x"));
            sb.AppendLine($"- saturation against `{unbatched.Config.Name}`{(unbatched == baseline ? " (baseline)" : "")}: {string.Join(", ", ratios)}");
        }

        return sb.ToString();
    }

    private static string Ms(double ms) => ms >= 1000 ? string.Create(CultureInfo.InvariantCulture, $"{ms / 1000:0.0} s") : ms.ToString("0.00", CultureInfo.InvariantCulture);

    private static string Report(string table, string command, string plot) =>
        $"""
        # ModelWorker: work-conserving and fixed-window batching vs unbatched

        Command (from the repository root, after `dotnet build ModelWorker -c Release`):

        ```
        {command}
        ```

        Machine: {Environment.ProcessorCount} cores (shared), .NET {Environment.Version}; load generator and worker on the same cores, traffic on 127.0.0.1.
        Latency is measured from each request's intended send time (open loop), so queueing is included (from its
        actual send when the generator sent it up to 1 ms early, so an early send is not credited to the worker).
        Per-round ratio = this config's rows/s over the baseline's (first row) in the same round (seconds apart).
        Mean batch = requests per model Run at saturation (from the worker's ml_batch_size histogram).
        Errors are failed requests at each fixed rate (503 queue full, 504 timed out); a rate a config cannot
        serve shows as seconds of latency and errors.
        CPU us/req = process CPU time during saturation / successful requests (worker: Kestrel, JSON, batcher
        and ONNX Runtime; client: the whole benchmark process, i.e. the load generator).

        {table}
        ![rows/s at saturation and latency percentiles at the fixed rate]({plot})

        """;

    // The raw client sends the load; the HttpClient scrapes /metrics (and sends the load with --httpclient).
    private sealed record Target(BatchingConfig Config, WorkerUnderTest Worker, HttpClient Client, RawHttpClient Raw, Func<long, CancellationToken, Task<bool>> Send)
    {
        public List<SaturationRound> Rounds { get; } = [];
    }

    // One connection per in-flight request; no proxy, cookies or trace-context propagation on the client path.
    private static HttpClient Client(Uri address, int connections) => new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = connections,
        UseProxy = false,
        UseCookies = false,
        ActivityHeadersPropagator = null,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
    })
    {
        BaseAddress = address,
        Timeout = TimeSpan.FromSeconds(60),
    };

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static int[] Options(string[] args, string name, int[] fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1].Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray() : fallback;
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
