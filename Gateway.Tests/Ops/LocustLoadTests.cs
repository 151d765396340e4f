using System.Globalization;
using Gateway.Tests.Fleet;
using Xunit.Abstractions;

namespace Gateway.Tests.Ops;

/// <summary>
/// The seeds' Locust scenario (benchmarks/locust/, Debian's python3-locust) for 20 s, headless, against the embedded
/// default with real workers, through the documented config file: no request may fail, and Locust's CSV is kept
/// (Gateway.Tests/TestResults/ops/locust_stats.csv and the rest).
/// </summary>
[Collection(FleetProcesses.Name)]
public class LocustLoadTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Locust_SeedScenarioFor20Seconds_NoFailures()
    {
        var locust = PeerProgram.Require("locust", "python3-locust");
        await using var gateway = await FleetGateway.StartAsync(workers: 3);
        var csv = Path.Combine(OpsArtifacts.Folder, "locust");
        foreach (var old in Directory.GetFiles(OpsArtifacts.Folder, "locust_*.csv"))
        {
            File.Delete(old);
        }

        // The documented command (locust --config benchmarks/locust/locust.conf), pointed at this gateway, 20 s, 4 users.
        using var run = PeerProgram.Start(locust,
        [
            "--config", "benchmarks/locust/locust.conf", "--host", gateway.Host.ProxyUrls[0],
            "--users", "4", "--spawn-rate", "4", "--run-time", "20s", "--csv", csv,
        ], OpsArtifacts.RepoRoot);
        var exit = await run.WaitForExitAsync(TimeSpan.FromSeconds(90));
        output.WriteLine(run.Output);
        Assert.True(exit == 0, $"locust exited {exit}");

        var aggregated = ReadAggregated(csv + "_stats.csv");
        output.WriteLine($"locust: {aggregated["Request Count"]} requests, {aggregated["Failure Count"]} failures, " +
            $"median {aggregated["Median Response Time"]} ms, p95 {aggregated["95%"]} ms, {aggregated["Requests/s"]} req/s; CSV {csv}_*.csv");
        Assert.True(long.Parse(aggregated["Request Count"], CultureInfo.InvariantCulture) > 100, "locust sent almost nothing");
        Assert.Equal("0", aggregated["Failure Count"]);
        Assert.True(File.Exists(csv + "_stats_history.csv"));
    }

    /// <summary>The "Aggregated" row of Locust's stats CSV, by column name.</summary>
    private static Dictionary<string, string> ReadAggregated(string path)
    {
        Assert.True(File.Exists(path), $"locust wrote no {path}");
        var lines = File.ReadAllLines(path);
        var header = lines[0].Split(',');
        var row = lines.Select(l => l.Split(',')).Single(cells => cells.Length > 1 && cells[1] == "Aggregated");
        return header.Zip(row).ToDictionary(p => p.First.Trim('"'), p => p.Second.Trim('"'));
    }
}
