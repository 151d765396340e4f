using System.Globalization;

namespace Gateway.Split;

/// <summary>
/// The comparison of the seeds' <c>CanaryDeployer.compare_performance</c>, on one window of each side: the canary is
/// worse when its error rate is above stable's x MaxErrorRatio + ErrorRateTolerance, or its p95 above stable's x
/// MaxP95Ratio + P95ToleranceSeconds. Too few canary requests decide nothing. A pure function: the analyzer feeds it.
/// </summary>
internal static class CanaryJudge
{
    public static (string Decision, string Reason) Judge(CanaryAnalysisOptions options, ClusterWindow stable, ClusterWindow canary)
    {
        if (canary.Requests < options.MinRequests)
        {
            return (CanaryPhases.Hold, F($"only {canary.Requests} canary requests in the window, {options.MinRequests} needed to decide"));
        }

        var errorLimit = (stable.ErrorRate * options.MaxErrorRatio) + options.ErrorRateTolerance;
        if (canary.ErrorRate > errorLimit)
        {
            return (CanaryPhases.Rollback, F($"canary error rate {canary.ErrorRate * 100:0.0#}% above {errorLimit * 100:0.0#}% (stable {stable.ErrorRate * 100:0.0#}% x {options.MaxErrorRatio} + {options.ErrorRateTolerance * 100:0.0#}%)"));
        }

        // Without enough stable samples there is no p95 to hold the canary to; the error rate alone decides.
        if (stable.Requests >= options.MinRequests && !double.IsNaN(stable.P95Seconds) && !double.IsNaN(canary.P95Seconds))
        {
            var p95Limit = (stable.P95Seconds * options.MaxP95Ratio) + options.P95ToleranceSeconds;
            if (canary.P95Seconds > p95Limit)
            {
                return (CanaryPhases.Rollback, F($"canary p95 {canary.P95Seconds * 1000:0.#} ms above {p95Limit * 1000:0.#} ms (stable {stable.P95Seconds * 1000:0.#} ms x {options.MaxP95Ratio} + {options.P95ToleranceSeconds * 1000:0.#} ms)"));
            }
        }

        return (CanaryPhases.Promote, F($"canary ({canary}) not worse than stable ({stable})"));
    }

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
