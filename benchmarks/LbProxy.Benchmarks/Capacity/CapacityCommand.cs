using System.Globalization;
using Benchmarks.Load;
using Benchmarks.Local;
using Benchmarks.Worker;
using Spectre.Console;

namespace Benchmarks.Capacity;

/// <summary>
/// `capacity` verb: how many replicas a peak needs, by the seeds' formula (<see cref="CapacityPlan"/>), from one
/// replica's throughput either given (--worker-rps) or measured here: one real ModelWorker process saturated with
/// the harness' open-loop load (the `worker` verb's load generator and requests) for --seconds after a 1 s warm-up.
/// </summary>
public static class CapacityCommand
{
    public const string Usage = "capacity --peak-rps N --latency-ms MS (--worker-rps N | --measure [--model heavy|small] [--seconds 5] [--concurrency 64]) " +
        "[--headroom 0.2] [--failure-rate 0.01] [--redundancy 1] [--worker-concurrency C]   replicas for a peak (the seeds' capacity formula, Little's law)";

    private const double SaturationRate = 100_000; // far above capacity: the in-flight cap makes the load closed-loop

    public static Task<int> RunAsync(string[] args) => RunAsync(args, AnsiConsole.Console);

    public static async Task<int> RunAsync(string[] args, IAnsiConsole console)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(console);
        string? bad = null;
        double Number(string name, double fallback)
        {
            var i = Array.IndexOf(args, name);
            if (i < 0)
            {
                return fallback;
            }

            if (i + 1 < args.Length && double.TryParse(args[i + 1], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                return value;
            }

            bad ??= $"{name} needs a number";
            return double.NaN;
        }

        var measure = args.Contains("--measure");
        var workerConcurrency = Number("--worker-concurrency", 0);
        var plan = new CapacityPlan(Number("--peak-rps", 0), Number("--latency-ms", 0) / 1000, Number("--worker-rps", measure ? 1 : 0),
            Number("--headroom", CapacityPlan.DefaultSpikeHeadroom), (int)Number("--redundancy", CapacityPlan.DefaultRedundancy),
            Number("--failure-rate", CapacityPlan.DefaultFailureRate), workerConcurrency > 0 ? (int)workerConcurrency : null);
        var errors = bad is null ? plan.Validate() : [bad];
        if (errors.Count > 0)
        {
            foreach (var error in errors)
            {
                console.MarkupLineInterpolated($"[red]error:[/] {error}");
            }

            console.WriteLine("usage: " + Usage);
            return 2;
        }

        CapacityMeasurement? measured = null;
        if (measure)
        {
            measured = await MeasureAsync(console, args.Contains("--model") && args[Array.IndexOf(args, "--model") + 1] == "small" ? "small" : "heavy",
                TimeSpan.FromSeconds(Number("--seconds", 5)), (int)Number("--concurrency", 64));
            if (measured is null)
            {
                return 2;
            }

            plan = plan with { ReplicaRps = measured.Throughput };
        }

        console.Write(Table(plan, measured));
        foreach (var note in Notes(plan, measured))
        {
            console.MarkupLineInterpolated($"[yellow]note:[/] {note}");
        }

        return 0;
    }

    public static Table Table(CapacityPlan plan, CapacityMeasurement? measured)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var table = new Table().AddColumn("term").AddColumn(new TableColumn("value").RightAligned()).AddColumn("how");
        void Row(string term, string value, string how) => table.AddRow(Markup.Escape(term), Markup.Escape(value), Markup.Escape(how));
        Row("one replica", F($"{plan.ReplicaRps:0.#} req/s"), measured is null ? "given (--worker-rps)"
            : F($"measured: one ModelWorker ({measured.Model} model) with {measured.Concurrency} in flight, {measured.Answers} answers in {measured.Seconds:0.#} s; mean time in it {measured.MeanLatencyMs:0.##} ms (L / throughput)"));
        Row("base replicas", F($"{plan.BaseReplicas:0.##}"), F($"peak {plan.PeakRps:0.#} / {plan.ReplicaRps:0.#} req/s"));
        Row("+ spike headroom", F($"{plan.SpikeReplicas:0.##}"), F($"base x {plan.SpikeHeadroom:0.##}"));
        Row("+ N+1 redundancy", F($"{plan.Redundancy}"), "one replica may be down at the peak");
        Row("+ failure overhead", F($"{plan.FailureReplicas:0.##}"), F($"base x failure rate {plan.FailureRate:0.###}"));
        Row("= replicas (formula)", F($"{plan.FormulaReplicas}"), "ceil of the sum (the seeds' calculate_capacity)");
        Row("Little's law concurrency", F($"{plan.Concurrency:0.##}"), F($"L = {plan.PeakRps:0.#} req/s x {plan.LatencyTargetSeconds * 1000:0.##} ms in flight at the peak"));
        if (plan.ConcurrencyReplicas is { } byConcurrency)
        {
            Row("replicas for that concurrency", F($"{byConcurrency}"), F($"ceil(L / {plan.ReplicaConcurrency} per replica)"));
        }

        Row("REPLICAS", F($"{plan.TotalReplicas}"), plan.ConcurrencyReplicas > plan.FormulaReplicas ? "the concurrency floor is higher" : "the formula's");
        Row("per replica at the peak", F($"{plan.ConcurrencyPerReplica:0.##} in flight, {plan.PeakRps / plan.TotalReplicas:0.#} req/s"), "L and peak / replicas");
        Row("capacity", F($"{plan.MaxRps:0.#} req/s"), "replicas x one replica");
        Row("utilization at the peak", F($"{plan.UtilizationAtPeak * 100:0.#}%"), F($"{plan.UtilizationOneDown * 100:0.#}% with one replica down"));
        return table;
    }

    private static IEnumerable<string> Notes(CapacityPlan plan, CapacityMeasurement? measured)
    {
        if (plan.UtilizationOneDown >= 1)
        {
            yield return "with one replica down the peak exceeds capacity: raise --headroom or --redundancy.";
        }
        else if (plan.UtilizationAtPeak > 0.7)
        {
            yield return "utilization at the peak is above the seeds' 60-70%: queueing delay grows fast there (W = 1/mu + rho/(mu(1-rho))).";
        }

        if (measured is not null && measured.MeanLatencyMs > plan.LatencyTargetSeconds * 1000)
        {
            yield return F($"a saturated replica's mean latency ({measured.MeanLatencyMs:0.##} ms with {measured.Concurrency} in flight) is above the latency target: give --concurrency the in-flight count a replica may hold, or plan with fewer requests per replica.");
        }
    }

    private static async Task<CapacityMeasurement?> MeasureAsync(IAnsiConsole console, string model, TimeSpan duration, int concurrency)
    {
        var root = LocalProcesses.RepoRoot();
        var dll = Path.Combine(root, "ModelWorker", "bin", "Release", "net10.0", "linux-x64", "ModelWorker.dll");
        if (!File.Exists(dll))
        {
            console.MarkupLine("[red]ModelWorker is not built:[/] run `dotnet build ModelWorker -c Release` first");
            return null;
        }

        var modelPath = Path.Combine(root, "ModelWorker", "models", $"classifier-{model}.onnx");
        var (worker, address) = await WorkerUnderTest.StartAsync(dll, ["--model", modelPath, "--queue-capacity", "4096"]);
        using (worker)
        {
            using var raw = new RawHttpClient(address);
            var send = new PredictRequests(16, model == "small" ? 4 : 256).Sender(raw);
            await OpenLoopLoad.RunAsync(send, SaturationRate, TimeSpan.FromSeconds(1), concurrency); // JIT, connections, ORT arenas
            var load = await OpenLoopLoad.RunAsync(send, SaturationRate, duration, concurrency);
            return new CapacityMeasurement(model, concurrency, load.Succeeded, load.Elapsed.TotalSeconds);
        }
    }

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
