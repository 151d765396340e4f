using System.Globalization;

namespace Benchmarks.Soak;

/// <summary>How long and how hard a soak runs, and how often it breaks things.</summary>
public sealed record SoakOptions
{
    public const string Usage = "soak [--minutes 10 | --seconds S] [--rate R (default: half the measured capacity)] [--kill-every-seconds 30] [--reload-every-seconds 20] [--warmup-seconds 75] [--settle-seconds 80] [--out FILE]  long run through the embedded default (local fleet) with workers SIGKILLed and the config reloaded";

    /// <summary>The measured run (after capacity and warm-up).</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Requests per second; null = <see cref="CapacityFraction"/> of the capacity measured first.</summary>
    public double? Rate { get; init; }

    public double CapacityFraction { get; init; } = 0.5;

    public TimeSpan CapacityMeasurement { get; init; } = TimeSpan.FromSeconds(8);

    public int CapacityConcurrency { get; init; } = 32;

    /// <summary>The same load, unmeasured, before the baseline is taken (JIT tier-up, pools, GC heap sizing).</summary>
    /// <remarks>Not a multiple of the kill interval, so the baseline is not taken the instant a worker dies.</remarks>
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(75);

    public TimeSpan KillEvery { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan ReloadEvery { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// After the load stops, how long to wait before the last look at sockets: long enough (80 s) for the upstream
    /// pools' idle scavenging (1 minute idle, checked every 15 s) to close connections to killed workers.
    /// </summary>
    public TimeSpan Settle { get; init; } = FullSettle;

    /// <summary>A settle this long lets the pools close every connection to a killed worker; shorter, they may still be pending.</summary>
    public static readonly TimeSpan FullSettle = TimeSpan.FromSeconds(80);

    /// <summary>A request not answered within this counts as a client error.</summary>
    public TimeSpan ClientTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public int Workers { get; init; } = 3;

    /// <summary>The RSS goal: growth from the end of the warm-up to the end of the run below this share.</summary>
    public double MaxRssGrowth { get; init; } = 0.10;

    public string? OutFile { get; init; }

    public static SoakOptions Parse(string[] args)
    {
        string? Arg(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        double? Number(string name) => Arg(name) is { } v ? double.Parse(v, CultureInfo.InvariantCulture) : null;
        var options = new SoakOptions();
        return options with
        {
            Duration = Number("--seconds") is { } s ? TimeSpan.FromSeconds(s) : Number("--minutes") is { } m ? TimeSpan.FromMinutes(m) : options.Duration,
            Rate = Number("--rate"),
            KillEvery = Number("--kill-every-seconds") is { } k ? TimeSpan.FromSeconds(k) : options.KillEvery,
            ReloadEvery = Number("--reload-every-seconds") is { } r ? TimeSpan.FromSeconds(r) : options.ReloadEvery,
            Warmup = Number("--warmup-seconds") is { } w ? TimeSpan.FromSeconds(w) : options.Warmup,
            Settle = Number("--settle-seconds") is { } t ? TimeSpan.FromSeconds(t) : options.Settle,
            OutFile = Arg("--out"),
        };
    }
}
