namespace Gateway.Split;

/// <summary>What one cluster did over an analysis window: tries, failed tries, and p95 latency in seconds (NaN without samples).</summary>
internal sealed record ClusterWindow(long Requests, long Failures, double P95Seconds)
{
    public double ErrorRate => Requests == 0 ? 0 : (double)Failures / Requests;

    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"{Requests} requests, {ErrorRate * 100:0.0#}% errors, p95 {(double.IsNaN(P95Seconds) ? "n/a" : (P95Seconds * 1000).ToString("0.#", System.Globalization.CultureInfo.InvariantCulture) + " ms")}");
}
