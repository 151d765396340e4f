using System.Globalization;

namespace Gateway.Fleet;

/// <summary>
/// The parts of a worker's Prometheus text the autoscaler reads: ml_queue_size and the cumulative buckets of
/// ml_request_latency_seconds (summed over label sets), so p95 over an interval comes from bucket deltas,
/// as Prometheus' histogram_quantile(0.95, rate(...)) computes it.
/// </summary>
public sealed record WorkerMetricsSample(double QueueSize, IReadOnlyList<(double UpperBound, double Count)> LatencyBuckets)
{
    public const string QueueSizeName = "ml_queue_size";
    public const string LatencyBucketName = "ml_request_latency_seconds_bucket";

    public static WorkerMetricsSample Parse(string prometheusText)
    {
        double queue = 0;
        var buckets = new SortedDictionary<double, double>();
        foreach (var raw in prometheusText.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var space = line.LastIndexOf(' ');
            if (space < 0 || !double.TryParse(line[(space + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                continue;
            }

            var name = line[..Math.Max(0, line.IndexOfAny(['{', ' ']))];
            if (name == QueueSizeName)
            {
                queue += value;
            }
            else if (name == LatencyBucketName && Label(line, "le") is { } le)
            {
                var bound = le == "+Inf" ? double.PositiveInfinity : double.Parse(le, CultureInfo.InvariantCulture);
                buckets[bound] = buckets.GetValueOrDefault(bound) + value;
            }
        }

        return new WorkerMetricsSample(queue, buckets.Select(kv => (kv.Key, kv.Value)).ToList());
    }

    /// <summary>The q-quantile of the requests between <paramref name="earlier"/> and this sample; NaN when there were none.</summary>
    public double Quantile(WorkerMetricsSample? earlier, double q) => Quantile(Delta(earlier), q);

    public IReadOnlyList<(double UpperBound, double Count)> Delta(WorkerMetricsSample? earlier) =>
        LatencyBuckets.Select(b => (b.UpperBound,
            Math.Max(0, b.Count - (earlier?.LatencyBuckets.FirstOrDefault(e => e.UpperBound == b.UpperBound).Count ?? 0)))).ToList();

    /// <summary>Prometheus' histogram_quantile: linear interpolation inside the bucket holding the rank.</summary>
    public static double Quantile(IReadOnlyList<(double UpperBound, double Count)> cumulative, double q)
    {
        if (cumulative.Count == 0 || cumulative[^1].Count <= 0)
        {
            return double.NaN;
        }

        var rank = q * cumulative[^1].Count;
        double lowerBound = 0, lowerCount = 0;
        foreach (var (upper, count) in cumulative)
        {
            if (count >= rank)
            {
                if (double.IsPositiveInfinity(upper))
                {
                    return lowerBound;
                }

                return count == lowerCount ? upper : lowerBound + ((upper - lowerBound) * (rank - lowerCount) / (count - lowerCount));
            }

            lowerBound = upper;
            lowerCount = count;
        }

        return lowerBound;
    }

    private static string? Label(string line, string label)
    {
        var key = label + "=\"";
        var start = line.IndexOf(key, StringComparison.Ordinal);
        if (start < 0)
        {
            return null;
        }

        start += key.Length;
        var end = line.IndexOf('"', start);
        return end < 0 ? null : line[start..end];
    }
}
