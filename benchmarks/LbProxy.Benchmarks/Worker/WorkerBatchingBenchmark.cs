using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Benchmarks.Load;
using Spectre.Console;

namespace Benchmarks.Worker;

/// <summary>
/// `worker` verb: the real ModelWorker process with the heavy model under open-loop load, batched (32 / 50 ms,
/// 32 / 5 ms) against unbatched (--max-batch-size 1) in the same run. Measures rows/s at saturation (the
/// in-flight cap keeps the client closed-loop there) and p50/p99 at 50% of the unbatched saturation rate,
/// latency from each request's intended send time. Writes benchmarks/results/worker-batching.md.
/// </summary>
public static class WorkerBatchingBenchmark
{
    private static readonly BatchingConfig[] Configs =
    [
        new("unbatched (1 / 0 ms)", 1, 0),
        new("batched 32 / 50 ms", 32, 50),
        new("batched 32 / 5 ms", 32, 5),
    ];

    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = Option(args, "--seconds", 8);
        var threads = Option(args, "--intra-op-threads", 2);
        var concurrency = Option(args, "--concurrency", 128);
        var root = RepoRoot();
        var dll = Path.Combine(root, "ModelWorker", "bin", "Release", "net10.0", "linux-x64", "ModelWorker.dll");
        var model = Path.Combine(root, "ModelWorker", "models", "classifier-heavy.onnx");
        if (!File.Exists(dll))
        {
            AnsiConsole.MarkupLine("[red]ModelWorker is not built:[/] run `dotnet build ModelWorker -c Release` first");
            return 2;
        }

        var bodies = Bodies(16, 256);
        var rows = new List<(BatchingConfig Config, LoadResult Saturation, LoadResult? Half)>();
        double halfRate = 0;
        await AnsiConsole.Progress().StartAsync(async progress =>
        {
            foreach (var config in Configs)
            {
                var task = progress.AddTask(config.Name, maxValue: 2);
                string[] workerArgs = ["--model", model, "--max-batch-size", $"{config.MaxBatchSize}", "--max-wait-ms", $"{config.MaxWaitMs}",
                    "--intra-op-threads", $"{threads}", "--queue-capacity", "4096"];
                var (worker, address) = await WorkerUnderTest.StartAsync(dll, workerArgs);
                using (worker)
                using (var client = Client(address, concurrency))
                {
                    await OpenLoopLoad.RunAsync(client, i => Request(bodies, i), 100_000, TimeSpan.FromSeconds(3), concurrency); // warm-up: JIT tiers, connections, ORT arenas
                    var saturation = await OpenLoopLoad.RunAsync(client, i => Request(bodies, i), 100_000, TimeSpan.FromSeconds(seconds), concurrency);
                    task.Increment(1);
                    halfRate = halfRate == 0 ? Math.Round(saturation.Throughput / 2) : halfRate; // unbatched runs first
                    var half = await OpenLoopLoad.RunAsync(client, i => Request(bodies, i), halfRate, TimeSpan.FromSeconds(seconds), 4096);
                    task.Increment(1);
                    rows.Add((config, saturation, half));
                }
            }
        });

        var table = Table(rows, halfRate, seconds, threads, concurrency);
        Console.WriteLine(table);
        var command = $"dotnet run --project benchmarks/LbProxy.Benchmarks -c Release -- worker {string.Join(' ', args)}".TrimEnd();
        var path = Path.Combine(root, "benchmarks", "results", "worker-batching.md");
        await File.WriteAllTextAsync(path, Report(table, command));
        AnsiConsole.MarkupLine($"wrote [green]{path}[/]");
        return 0;
    }

    private static string Table(List<(BatchingConfig Config, LoadResult Saturation, LoadResult? Half)> rows, double halfRate, int seconds, int threads, int concurrency)
    {
        var baseline = rows[0].Saturation.Throughput;
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Heavy model (256 -> 1024 -> 1024 -> 3), {threads} intra-op threads, {seconds} s per phase; saturation = {concurrency} in flight; fixed rate = {halfRate:0} req/s (50% of unbatched saturation).");
        sb.AppendLine();
        sb.AppendLine("| config | rows/s at saturation | vs unbatched | p50 ms @ fixed rate | p99 ms @ fixed rate | errors |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|");
        foreach (var (config, saturation, half) in rows)
        {
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| {config.Name} | {saturation.Throughput:0} | {saturation.Throughput / baseline:0.00}x | {half!.P50Ms:0.00} | {half.P99Ms:0.00} | {saturation.Failed + half.Failed} |");
        }

        return sb.ToString();
    }

    private static string Report(string table, string command) =>
        $"""
        # ModelWorker: dynamic batching vs unbatched

        Command (from the repository root, after `dotnet build ModelWorker -c Release`):

        ```
        {command}
        ```

        Machine: {Environment.ProcessorCount} cores (shared), .NET {Environment.Version}; load generator and worker on the same cores, traffic on 127.0.0.1.
        Latency is measured from each request's intended send time (open loop), so queueing is included.

        {table}
        """;

    private static HttpClient Client(Uri address, int connections) => new(new SocketsHttpHandler { MaxConnectionsPerServer = connections, UseProxy = false })
    {
        BaseAddress = address,
        Timeout = TimeSpan.FromSeconds(60),
    };

    private static HttpRequestMessage Request(byte[][] bodies, long i)
    {
        var content = new ByteArrayContent(bodies[i % bodies.Length]);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return new HttpRequestMessage(HttpMethod.Post, "/predict") { Content = content };
    }

    // Fixed seed: the same rows every run.
    private static byte[][] Bodies(int count, int features)
    {
        var random = new Random(42);
        return Enumerable.Range(0, count).Select(_ =>
            Encoding.UTF8.GetBytes("{\"features\":[" + string.Join(",", Enumerable.Range(0, features)
                .Select(_ => (random.NextDouble() * 2 - 1).ToString("0.####", CultureInfo.InvariantCulture))) + "]}")).ToArray();
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(Directory.GetCurrentDirectory());
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "LbProxy.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("run from inside the repository (LbProxy.sln not found)");
    }
}
