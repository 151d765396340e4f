using System.Globalization;
using System.Text.RegularExpressions;

namespace Gateway.Tests.Harness;

/// <summary>
/// The real-load harness's smallest scenario, exactly as a user runs it (`policy-load` through the benchmark
/// program): real backend processes, the real gateway process and real nginx on 127.0.0.1, an open-loop load,
/// a results table and a plot. Short (3 s of load per balancer) so CI proves the harness works end to end;
/// the full comparison is benchmarks/results/policy-load.md.
/// </summary>
/// <remarks>
/// Runs alone, like a user's benchmark run: the load driver lives in this test process and keeps a schedule, which
/// the rest of the suite's load would put behind. (It fell 0.5-1.5 s behind even alone until TestHostThreadPool.)
/// </remarks>
[Collection(Name)]
public sealed partial class PolicyLoadHarnessTests : IDisposable
{
    private readonly string _out = Directory.CreateTempSubdirectory("lbproxy-policyload-test-").FullName;

    [Fact]
    public async Task PolicyLoad_SmallestScenario_WritesTableAndPlotForGatewayAndNginx()
    {
        string[] balancers = ["gateway Adaptive", "gateway LeastConnections", "nginx least_conn"];
        var rc = await Benchmarks.Program.Main(["policy-load", "--rate", "100", "--seconds", "3", "--timeout-ms", "1000",
            "--only", string.Join(',', balancers), "--out", _out]);

        Assert.Equal(0, rc);
        var table = await File.ReadAllTextAsync(Path.Combine(_out, "policy-load.md"));
        var rows = TableRow().Matches(table).ToDictionary(m => m.Groups["name"].Value, m => m);
        Assert.Equal(balancers.Order(), rows.Keys.Order());
        foreach (var (name, row) in rows)
        {
            // 100 req/s for 3 s against ~600 req/s of backend capacity: the schedule is kept and most requests are
            // answered in time (the quality of each balancer is the full benchmark's business, not this test's);
            // every backend took part and the shares add up.
            var sent = long.Parse(row.Groups["sent"].Value, CultureInfo.InvariantCulture);
            var within = double.Parse(row.Groups["within"].Value, CultureInfo.InvariantCulture);
            var shares = row.Groups["share"].Captures.Select(c => double.Parse(c.Value, CultureInfo.InvariantCulture)).ToArray();
            Assert.InRange(sent, 270, 300);
            Assert.True(within >= 50, $"{name}: {within}% within the timeout\n{table}");
            Assert.Equal(3, shares.Length);
            Assert.All(shares, share => Assert.True(share > 0, $"{name}: a backend got no requests\n{table}"));
            Assert.InRange(shares.Sum(), 99.5, 100.5);
        }

        // The client kept its schedule: a stall of the test process (the thread pool's 0.5-1 s starvation waits, see
        // TestHostThreadPool) would be charged to the balancers as latency. Seen: 5-16 ms.
        var lags = ClientLag().Matches(table).ToDictionary(m => m.Groups["name"].Value,
            m => double.Parse(m.Groups["ms"].Value, CultureInfo.InvariantCulture));
        Assert.Equal(balancers.Order(), lags.Keys.Order());
        Assert.All(lags, lag => Assert.True(lag.Value < 250, $"{lag.Key}: the client fell {lag.Value} ms behind its schedule\n{table}"));

        Assert.True(new FileInfo(Path.Combine(_out, "policy-load-cdf.png")).Length > 1000);
    }

    public void Dispose() => Directory.Delete(_out, recursive: true);

    public const string Name = "Policy-load harness";

    [GeneratedRegex(@"^\| (?<name>[^|]+?) \| (?<sent>\d+) \| (?<within>[\d.]+)% \|(?: [\d.]+ \|){4}(?: (?<share>[\d.]+)% \|)+$", RegexOptions.Multiline)]
    private static partial Regex TableRow();

    [GeneratedRegex(@"(?<=(?:schedule: |, ))(?<name>(?:gateway|nginx) [^,]+?) (?<ms>[\d.]+) ms")]
    private static partial Regex ClientLag();
}

[CollectionDefinition(PolicyLoadHarnessTests.Name, DisableParallelization = true)]
public sealed class PolicyLoadHarnessRunsAlone;
