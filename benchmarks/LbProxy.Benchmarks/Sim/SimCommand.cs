using System.Diagnostics;
using Benchmarks.Local;
using Benchmarks.Sim.Engine;
using Benchmarks.Sim.Policies;
using Benchmarks.Sim.Report;
using Benchmarks.Sim.Scenario;
using Spectre.Console;

namespace Benchmarks.Sim;

/// <summary>
/// `sim` verb: runs a scenario once per policy (each from the same seed, so all serve the identical request
/// stream), prints the table and writes results/sim/SCENARIO.md with the latency CDF, traffic share and
/// imbalance PNGs.
/// </summary>
public static class SimCommand
{
    private static readonly string[] DefaultPolicies =
        ["RoundRobin", "LeastConnections", "Adaptive", "Adaptive+QueueDepth", "YarpPowerOfTwoChoices", "YarpLeastRequests"];

    public static int Run(string[] args)
    {
        var root = LocalProcesses.RepoRoot();
        var options = SimOptions.Parse(args, root, out var error);
        if (options is null)
        {
            Console.Error.WriteLine($"sim: {error}");
            Console.Error.WriteLine($"usage: dotnet run --project benchmarks/LbProxy.Benchmarks -c Release -- {SimOptions.Usage}");
            return 2;
        }

        SimScenario scenario;
        try
        {
            scenario = SimScenario.Load(options.ScenarioPath);
            var names = options.Policies ?? (scenario.Policies.Count > 0 ? scenario.Policies : DefaultPolicies);
            foreach (var name in names)
            {
                SimPolicies.Create(name, 0, 1); // reject an unknown name before running anything
            }

            var seed = options.Seed ?? scenario.Seed;
            var results = RunAll(scenario, names, seed);
            Write(scenario, results, options, args);
            return 0;
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException or System.Text.Json.JsonException)
        {
            Console.Error.WriteLine($"sim: {e.Message}");
            return 2;
        }
    }

    /// <summary>One simulation per policy, with a progress bar each (a long run is a million requests per policy).</summary>
    public static IReadOnlyList<SimResult> RunAll(SimScenario scenario, IReadOnlyList<string> policies, int seed)
    {
        var results = new List<SimResult>();
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(progress =>
            {
                foreach (var name in policies)
                {
                    var task = progress.AddTask(name, maxValue: 1);
                    results.Add(new Simulation(scenario, name, seed).Run(done => task.Value = done));
                }
            });
        return results;
    }

    private static void Write(SimScenario scenario, IReadOnlyList<SimResult> results, SimOptions options, string[] args)
    {
        Directory.CreateDirectory(options.OutDir);
        var plots = new List<string>();
        var watch = Stopwatch.StartNew();
        if (options.Plots)
        {
            string Png(string suffix)
            {
                var path = Path.Combine(options.OutDir, $"{scenario.Name}-{suffix}.png");
                plots.Add(path);
                return path;
            }

            LatencyCdfPlot.Save(results, scenario.Name, scenario.Timeout, Png("latency"));
            TrafficSharePlot.Save(results, scenario.Name, Png("traffic"));
            ImbalancePlot.Save(results, scenario.Name, Png("imbalance"));
        }

        var command = "dotnet run --project benchmarks/LbProxy.Benchmarks -c Release -- sim " + string.Join(' ', args);
        var markdown = SimMarkdown.Render(scenario, results, command, plots);
        var file = Path.Combine(options.OutDir, scenario.Name + ".md");
        File.WriteAllText(file, markdown);
        Console.WriteLine(markdown);
        Console.WriteLine($"simulated {results.Sum(r => r.Requests):N0} requests in {results.Sum(r => r.WallTime.TotalSeconds):0.0} s; plots {watch.Elapsed.TotalSeconds:0.0} s; wrote {file}");
    }
}
