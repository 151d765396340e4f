namespace Gateway.Split;

/// <summary>
/// The seeds' canary deployer, run by the gateway on its own per-cluster statistics: every
/// <see cref="IntervalSeconds"/> the canary's error rate and p95 over the window are compared with stable's; the
/// canary moves to the next of <see cref="Steps"/> when it is not worse, and back to 0 at once when it is.
/// "Worse" is the seeds' rule (error rate above 1.5x stable's, p95 above 1.1x stable's) plus small absolute
/// tolerances, so that a handful of requests on fast backends cannot fail a healthy canary on noise.
/// </summary>
public sealed record CanaryAnalysisOptions
{
    public const double DefaultIntervalSeconds = 60;
    public const int DefaultMinRequests = 20;
    public const double DefaultMaxErrorRatio = 1.5;
    public const double DefaultErrorRateTolerance = 0.01;
    public const double DefaultMaxP95Ratio = 1.1;
    public const double DefaultP95ToleranceSeconds = 0.005;

    /// <summary>The cluster that serves the known-good version (takes what the canary does not).</summary>
    public string Stable { get; init; } = "";

    /// <summary>The cluster under test.</summary>
    public string Canary { get; init; } = "";

    /// <summary>Canary percentages, ascending, the last 100: the first is applied when the analysis starts.</summary>
    public IReadOnlyList<int> Steps { get; init; } = [10, 50, 100];

    /// <summary>The analysis window: each step lasts at least this long.</summary>
    public double IntervalSeconds { get; init; } = DefaultIntervalSeconds;

    /// <summary>A window with fewer canary requests decides nothing (the step is held for another window).</summary>
    public int MinRequests { get; init; } = DefaultMinRequests;

    /// <summary>Roll back when canary error rate &gt; stable's x this + <see cref="ErrorRateTolerance"/>.</summary>
    public double MaxErrorRatio { get; init; } = DefaultMaxErrorRatio;

    public double ErrorRateTolerance { get; init; } = DefaultErrorRateTolerance;

    /// <summary>Roll back when canary p95 &gt; stable's x this + <see cref="P95ToleranceSeconds"/>.</summary>
    public double MaxP95Ratio { get; init; } = DefaultMaxP95Ratio;

    public double P95ToleranceSeconds { get; init; } = DefaultP95ToleranceSeconds;
}
