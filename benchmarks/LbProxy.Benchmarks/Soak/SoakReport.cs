using System.Globalization;
using System.Text;
using Benchmarks.Load;

namespace Benchmarks.Soak;

/// <summary>A finished soak: the load's figures, the gateway at start and end, what was broken, and the goals.</summary>
public sealed record SoakReport(
    SoakOptions Options,
    double CapacityRps,
    double Rate,
    LoadResult Load,
    long TotalSent,
    long ClientErrors,
    IReadOnlyDictionary<string, long> ErrorKinds,
    SoakSample Start,
    SoakSample End,
    SoakSample Settled,
    double PeakRssMb,
    int Kills,
    int WarmupKills,
    int ReloadsApplied,
    int ReloadsTried,
    int DeadWorkerSockets,
    IReadOnlyList<int> SurvivingKilledPids,
    IReadOnlyCollection<string> GatewayErrorLines)
{
    /// <summary>The gateway's mean RSS in each minute of the measured run: a leak climbs, a heap settling levels off.</summary>
    public IReadOnlyList<double> RssByMinuteMb { get; init; } = [];

    public double RssGrowth => (double)End.Process.RssBytes / Math.Max(1, Start.Process.RssBytes) - 1;

    /// <summary>Each goal, whether it held, and the figures that say so.</summary>
    public IReadOnlyList<(string Goal, bool Met, string Detail)> Goals =>
    [
        ("zero client errors", ClientErrors == 0, $"{ClientErrors} of {TotalSent} (warm-up included)" + (ErrorKinds.Count > 0 ? $" ({string.Join(", ", ErrorKinds.Select(k => $"{k.Key}: {k.Value}"))})" : "")),
        ($"RSS growth under {Options.MaxRssGrowth:P0} after warm-up", RssGrowth < Options.MaxRssGrowth, $"{Mb(Start.Process.RssBytes):0.0} -> {Mb(End.Process.RssBytes):0.0} MB ({RssGrowth:+0.0%;-0.0%}), peak {PeakRssMb:0.0} MB"),
        ("every reload applied", ReloadsApplied == ReloadsTried, $"{ReloadsApplied} of {ReloadsTried}"),
        ("no leaked processes", Settled.StrayChildren == 0 && Settled.Process.Zombies == 0 && SurvivingKilledPids.Count == 0,
            $"{Settled.StrayChildren} children outside the fleet, {Settled.Process.Zombies} zombies, {SurvivingKilledPids.Count} killed workers still alive"),
        ("no leaked sockets", DeadWorkerSockets == 0 && Settled.Process.CloseWait <= CloseWaitAllowance,
            $"{DeadWorkerSockets} sockets to killed workers, {Settled.Process.CloseWait} in CLOSE_WAIT after {Options.Settle.TotalSeconds:0} s idle"),
        ("no leaked pipes", Settled.Process.Pipes <= PipeAllowance, $"{Settled.Process.Pipes} pipes for {Settled.LiveChildren} live workers (at start {Start.Process.Pipes} for {Start.LiveChildren}; {PipesPerWorker} per worker)"),
    ];

    public bool AllMet => Goals.All(g => g.Met);

    /// <summary>Sockets the pools may not yet have closed when the settle time is shorter than their idle scavenging.</summary>
    private int CloseWaitAllowance => Options.Settle >= SoakOptions.FullSettle ? 0 : Start.Process.SocketCount;

    /// <summary>The gateway holds two pipes per live worker (its stdout and stderr); the rest must not grow.</summary>
    public const int PipesPerWorker = 2;

    /// <summary>The start's pipes that are not a worker's, plus those of the workers alive at the end.</summary>
    private int PipeAllowance => Start.Process.Pipes - PipesPerWorker * Start.LiveChildren + PipesPerWorker * Settled.LiveChildren;

    private static double Mb(long bytes) => bytes / 1048576.0;

    public string ToMarkdown(string command)
    {
        var t = new StringBuilder();
        var i = CultureInfo.InvariantCulture;
        t.AppendLine(i, $"Command: `{command}`").AppendLine();
        t.AppendLine(i, $"Load: open loop at {Rate:0} req/s ({Options.CapacityFraction:P0} of {CapacityRps:0} req/s measured with {Options.CapacityConcurrency} closed-loop clients for {Options.CapacityMeasurement.TotalSeconds:0} s), POST /predict through the gateway, {Options.Warmup.TotalSeconds:0} s warm-up (load and churn, unmeasured) then {Options.Duration.TotalMinutes:0.#} min measured; ");
        t.AppendLine(i, $"a worker SIGKILLed every {Options.KillEvery.TotalSeconds:0} s ({Kills} in all, {WarmupKills} of them in the warm-up), the config file rewritten every {Options.ReloadEvery.TotalSeconds:0} s ({ReloadsApplied} of {ReloadsTried} reloads applied). RSS at start and end: the mean of the last 5 one-second samples.").AppendLine();
        t.AppendLine("| | start (after warm-up) | end (under load) | end + settle (idle) |");
        t.AppendLine("|---|---:|---:|---:|");
        Row("gateway RSS (MB)", s => Mb(s.Process.RssBytes).ToString("0.0", i));
        Row("open descriptors", s => s.Process.Descriptors.ToString(i));
        Row("TCP sockets", s => s.Process.SocketCount.ToString(i));
        Row("  of them CLOSE_WAIT", s => s.Process.CloseWait.ToString(i));
        Row("pipes", s => s.Process.Pipes.ToString(i));
        Row("child processes (fleet workers)", s => $"{s.Process.Children.Count} ({s.WorkerPids.Count})");
        Row("zombies", s => s.Process.Zombies.ToString(i));
        t.AppendLine();
        t.AppendLine("| requests | client errors | p50 ms | p99 ms | p99.9 ms | max ms | peak RSS MB |");
        t.AppendLine("|---:|---:|---:|---:|---:|---:|---:|");
        t.AppendLine(i, $"| {Load.Sent} | {ClientErrors} | {Load.P50Ms:0.0} | {Load.P99Ms:0.0} | {Load.P999Ms:0.0} | {Load.MaxMs:0.0} | {PeakRssMb:0.0} |");
        t.AppendLine();
        if (RssByMinuteMb.Count > 1)
        {
            t.AppendLine(i, $"Gateway RSS, mean of each minute (MB): {string.Join(", ", RssByMinuteMb.Select(m => m.ToString("0", i)))}.").AppendLine();
        }

        t.AppendLine("| goal | met | figures |");
        t.AppendLine("|---|---|---|");
        foreach (var (goal, met, detail) in Goals)
        {
            t.AppendLine(i, $"| {goal} | {(met ? "yes" : "NO")} | {detail} |");
        }

        if (GatewayErrorLines.Count > 0)
        {
            t.AppendLine().AppendLine(i, $"The gateway logged {GatewayErrorLines.Count} error line(s); the first: `{GatewayErrorLines.First()}`");
        }

        return t.ToString();

        void Row(string name, Func<SoakSample, string> value) =>
            t.AppendLine(i, $"| {name} | {value(Start)} | {value(End)} | {value(Settled)} |");
    }
}
