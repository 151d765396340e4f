using Benchmarks.Soak;
using Xunit.Abstractions;

namespace Gateway.Tests.Soak;

/// <summary>
/// The `soak` verb's engine for 60 s (the verb runs 10 minutes): the real gateway in its own process with its embedded
/// default's local fleet of real ModelWorkers, open-loop load at half its measured capacity, a worker SIGKILLed every
/// 30 s and the config file rewritten every 20 s. It must lose no request, keep its memory, and leak no process,
/// socket or pipe (the pipes goal found the gateway keeping two descriptors for every worker that ever died).
/// </summary>
public class SoakTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Soak_SixtySecondsWithKillsAndReloads_MeetsEveryGoal()
    {
        var options = new SoakOptions
        {
            Duration = TimeSpan.FromSeconds(60),
            Warmup = TimeSpan.FromSeconds(40), // with a kill at 30 s: the baseline comes after a worker died and was replaced
            CapacityMeasurement = TimeSpan.FromSeconds(4),
            Settle = TimeSpan.FromSeconds(5),
            // Within one minute the Server GC's dynamic heap sizing (DATAS) moves RSS by 10-15% either way (measured
            // here: +10.7%, +11.7% with nothing leaking); 10% is the 10-minute verb's goal, where a leak climbs and a heap
            // settling levels off (benchmarks/results/soak.md). A leak per kill or reload that matters still fails this.
            MaxRssGrowth = 0.25,
        };
        var lastShown = TimeSpan.FromSeconds(-10);
        var report = await SoakEngine.RunAsync(options, p =>
        {
            if (p.Phase != "soak" || p.Elapsed - lastShown >= TimeSpan.FromSeconds(10))
            {
                lastShown = p.Phase == "soak" ? p.Elapsed : lastShown;
                output.WriteLine($"{p.Phase} {p.Elapsed.TotalSeconds:0} s: {p.Sent} sent, {p.Errors} errors, RSS {p.RssMb:0} MB, {p.Workers} workers, {p.Kills} killed, {p.Reloads} reloads");
            }
        });

        output.WriteLine(report.ToMarkdown("SoakEngine.RunAsync (60 s)"));
        Assert.True(report.Kills >= 1, $"{report.Kills} workers killed");
        Assert.True(report.ReloadsApplied >= 2 && report.ReloadsApplied == report.ReloadsTried, $"{report.ReloadsApplied} of {report.ReloadsTried} reloads applied");
        Assert.True(report.Load.Sent > 0);
        foreach (var (goal, met, detail) in report.Goals)
        {
            Assert.True(met, $"{goal}: {detail}");
        }
    }
}
